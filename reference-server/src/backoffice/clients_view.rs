//! The markup of Admin > API clients: the list, the New Client form, the settings page and
//! the edit form. Labels are the seeds' words.

use maud::{Markup, html};

use super::auth::BackOfficeUser;
use super::clients::client_url;
use super::fields::{Fields, Shown};
use super::layout::{csrf_field, described, field_error, layout, secret_field};
use crate::catalogue::Catalogue;
use crate::client::{
    BACKOFFICE_API, Client, ClientKind, DEFAULT_ACCESS_VALIDITY, DEFAULT_REFRESH_VALIDITY,
    IDENTITY_API,
};
use crate::secret::ClientSecret;

/// What the New Client and edit forms hold, as typed: a refused form comes back with it.
#[derive(Debug, Default, Clone)]
pub(super) struct ClientForm {
    pub(super) name: Option<String>,
    pub(super) client_type: String,
    pub(super) redirect_urls: String,
    pub(super) resource_ids: Vec<String>,
    pub(super) roles: Vec<String>,
    pub(super) access_validity: Option<String>,
    pub(super) refresh_validity: Option<String>,
    pub(super) ip_whitelist: String,
}

impl ClientForm {
    pub(super) fn from_fields(fields: &Fields) -> Self {
        Self {
            name: fields.text("name"),
            client_type: fields.get("grants").unwrap_or_default().to_owned(),
            redirect_urls: fields.get("redirect_urls").unwrap_or_default().to_owned(),
            resource_ids: fields.all("resource_ids"),
            roles: fields.all("roles"),
            access_validity: fields.text("access_token_validity_seconds"),
            refresh_validity: fields.text("refresh_token_validity_seconds"),
            ip_whitelist: fields.get("ip_whitelist").unwrap_or_default().to_owned(),
        }
    }

    pub(super) fn of(client: &Client) -> Self {
        Self {
            name: client.name.clone(),
            client_type: grants_text(client),
            redirect_urls: client.redirect_urls.join("\n"),
            resource_ids: client.resource_ids.iter().cloned().collect(),
            roles: client.roles.iter().cloned().collect(),
            access_validity: Some(client.access_token_validity.to_string()),
            refresh_validity: Some(client.refresh_token_validity.to_string()),
            ip_whitelist: ip_entries(client).join("\n"),
        }
    }

    pub(super) fn redirect_url_lines(&self) -> Vec<String> {
        lines(&self.redirect_urls)
    }

    pub(super) fn ip_lines(&self) -> Vec<String> {
        lines(&self.ip_whitelist)
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

fn grants_text(client: &Client) -> String {
    client
        .grants
        .iter()
        .map(|g| g.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn ip_entries(client: &Client) -> Vec<String> {
    client
        .ip_whitelist
        .iter()
        .map(|net| {
            if net.prefix_len() == net.max_prefix_len() {
                net.addr().to_string()
            } else {
                net.to_string()
            }
        })
        .collect()
}

pub(super) fn list(user: &BackOfficeUser, clients: &[&Client]) -> Markup {
    layout(
        "API clients",
        Some(user),
        html! {
            section.card.wide {
                div.heading {
                    h1 { "API clients" }
                    details.menu {
                        summary.button { "Action" }
                        ul { li { a href="/backoffice/admin/api-clients/new" { "New Client" } } }
                    }
                }
                p.lead { "Clients of the 1-Click API (authorization_code) and of the Admin API (client_credentials)." }
                @if clients.is_empty() {
                    p { "No clients yet. Click Action and then New Client." }
                } @else {
                    table {
                        caption.visually-hidden { "API clients" }
                        thead { tr {
                            th scope="col" { "Client name" }
                            th scope="col" { "Client id" }
                            th scope="col" { "Client type" }
                            th scope="col" { "Resources" }
                        } }
                        tbody {
                            @for client in clients {
                                tr {
                                    td { (client.name.as_deref().unwrap_or("—")) }
                                    td { a href=(client_url(&client.client_id)) { code { (client.client_id) } } }
                                    td { (grants_text(client)) }
                                    td { (client.resource_ids.iter().cloned().collect::<Vec<_>>().join(", ")) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn text_input(id: &str, label: &str, value: Option<&str>, shown: Option<&Shown>) -> Markup {
    let error = Shown::at(shown, id);
    let (describedby, invalid) = described(id, error.as_deref());
    html! {
        label for=(id) { (label) }
        input id=(id) type="text" name=(id) value=[value] aria-describedby=[describedby] aria-invalid=[invalid];
        (field_error(id, error.as_deref()))
    }
}

fn textarea(id: &str, label: &str, hint: &str, value: &str, shown: Option<&Shown>) -> Markup {
    let error = Shown::at(shown, id);
    let (describedby, invalid) = described(id, error.as_deref());
    let hint_id = format!("{id}-hint");
    html! {
        label for=(id) { (label) }
        p.hint id=(hint_id) { (hint) }
        textarea id=(id) name=(id) rows="3" aria-describedby=(describedby.unwrap_or(hint_id)) aria-invalid=[invalid] { (value) }
        (field_error(id, error.as_deref()))
    }
}

fn checkboxes(
    id: &str,
    legend: &str,
    options: &[String],
    ticked: &[String],
    shown: Option<&Shown>,
) -> Markup {
    let error = Shown::at(shown, id);
    html! {
        fieldset id=(id) {
            legend { (legend) }
            @if id == "roles" { p.hint { "For client_credentials (Admin API) clients." } }
            @for (n, option) in options.iter().enumerate() {
                @let input_id = format!("{id}-{n}");
                div.check {
                    input id=(input_id) type="checkbox" name=(id) value=(option) checked[ticked.contains(option)];
                    label for=(input_id) { (option) }
                }
            }
            (field_error(id, error.as_deref()))
        }
    }
}

/// The fields New Client and edit share.
fn common_fields(
    catalogue: &Catalogue,
    form: &ClientForm,
    kind: Option<ClientKind>,
    shown: Option<&Shown>,
) -> Markup {
    let resources = [BACKOFFICE_API.to_owned(), IDENTITY_API.to_owned()];
    let roles: Vec<String> = catalogue.admin_api.roles.iter().cloned().collect();
    html! {
        @if kind.is_none_or(|k| k == ClientKind::OneClick) {
            (textarea("redirect_urls", "Redirect URLs", "One per line, for authorization_code. Matched on the URL, not the query string; * is a wildcard where the server's profile allows it.", &form.redirect_urls, shown))
        }
        (checkboxes("resource_ids", "Resource ids", &resources, &form.resource_ids, shown))
        @if kind.is_none_or(|k| k == ClientKind::AdminApi) {
            (checkboxes("roles", "Roles", &roles, &form.roles, shown))
        }
        (textarea("ip_whitelist", "Whitelist IP addresses", "One address or CIDR range per line. Leave empty and everyone is able to use this client.", &form.ip_whitelist, shown))
    }
}

fn general_error(shown: Option<&Shown>, fields: &[&str]) -> Markup {
    html! {
        @if let Some(shown) = shown.filter(|s| !fields.contains(&s.field.as_str())) {
            div.alert role="alert" { (shown.field) ": " (shown.message) }
        }
    }
}

const FORM_FIELDS: [&str; 8] = [
    "name",
    "grants",
    "redirect_urls",
    "resource_ids",
    "roles",
    "access_token_validity_seconds",
    "refresh_token_validity_seconds",
    "ip_whitelist",
];

pub(super) fn new_client(
    user: &BackOfficeUser,
    catalogue: &Catalogue,
    form: &ClientForm,
    shown: Option<&Shown>,
) -> Markup {
    let grants_error = Shown::at(shown, "grants");
    let access = form
        .access_validity
        .clone()
        .unwrap_or_else(|| DEFAULT_ACCESS_VALIDITY.to_string());
    let refresh = form
        .refresh_validity
        .clone()
        .unwrap_or_else(|| DEFAULT_REFRESH_VALIDITY.to_string());
    layout(
        "New Client",
        Some(user),
        html! {
            section.card.dialog {
                h1 { "New Client" }
                (general_error(shown, &FORM_FIELDS))
                form method="post" action="/backoffice/admin/api-clients/new" novalidate {
                    (csrf_field(user))
                    (text_input("name", "Client name", form.name.as_deref(), shown))
                    label for="grants" { "Client type" }
                    select #grants name="grants" {
                        option value="authorization_code" selected[form.client_type != "client_credentials"] { "authorization_code (1-Click API)" }
                        option value="client_credentials" selected[form.client_type == "client_credentials"] { "client_credentials (Admin API)" }
                    }
                    (field_error("grants", grants_error.as_deref()))
                    (common_fields(catalogue, form, None, shown))
                    label for="access_token_validity_seconds" { "Access Token Validity Seconds" }
                    input #access_token_validity_seconds type="text" inputmode="numeric" name="access_token_validity_seconds" value=(access) readonly;
                    (field_error("access_token_validity_seconds", Shown::at(shown, "access_token_validity_seconds").as_deref()))
                    label for="refresh_token_validity_seconds" { "Refresh Token Validity Seconds" }
                    input #refresh_token_validity_seconds type="text" inputmode="numeric" name="refresh_token_validity_seconds" value=(refresh) readonly;
                    (field_error("refresh_token_validity_seconds", Shown::at(shown, "refresh_token_validity_seconds").as_deref()))
                    p.hint { "The validity values are populated automatically." }
                    div.actions {
                        button type="submit" { "Create" }
                        a.button.secondary href="/backoffice/admin/api-clients" { "Cancel" }
                    }
                }
            }
        },
    )
}

pub(super) fn settings(
    user: &BackOfficeUser,
    client: &Client,
    secret: Option<&ClientSecret>,
) -> Markup {
    let url = client_url(&client.client_id);
    let joined = |set: &std::collections::BTreeSet<String>| {
        set.iter().cloned().collect::<Vec<_>>().join(",")
    };
    layout(
        "Client settings",
        Some(user),
        html! {
            section.card.wide {
                h1 { (client.name.as_deref().unwrap_or(&client.client_id)) }
                dl.settings {
                    dt { "Client id" } dd { code #client-id { (client.client_id) } }
                    dt { "Client secret" }
                    dd {
                        @if let Some(secret) = secret {
                            div.notice role="status" {
                                (secret_field("client-secret", "Client secret (shown once)", secret.secret()))
                                p { "Copy the secret now: it is shown only this once. Use " strong { "Show" } " to display it in clear text." }
                            }
                        } @else {
                            span #client-secret-hidden { "Not shown again. Use " strong { "New Secret" } " to replace it." }
                        }
                    }
                    dt { "Client type" } dd { (grants_text(client)) }
                    @if client.kind == ClientKind::OneClick {
                        dt { "Redirect URLs" } dd { ul.plain { @for url in &client.redirect_urls { li { code { (url) } } } } }
                    }
                    @if client.kind == ClientKind::AdminApi {
                        dt { "Roles" } dd { (joined(&client.roles)) }
                    }
                    dt { "Scopes" } dd { code { (joined(&client.scopes)) } }
                    dt { "Resources" } dd { code { (joined(&client.resource_ids)) } }
                    dt { "Access Token Validity Seconds" } dd { (client.access_token_validity) }
                    dt { "Refresh Token Validity Seconds" } dd { (client.refresh_token_validity) }
                    dt { "Whitelist IP addresses" } dd {
                        @let ips = ip_entries(client);
                        @if ips.is_empty() { "None: everyone is able to use this client." } @else { (ips.join(", ")) }
                    }
                }
                div.actions {
                    a.button href=(format!("{url}/edit")) { "Edit" }
                    a.button.danger href=(format!("{url}/delete")) { "Delete" }
                    a.button.secondary href="/backoffice/admin/api-clients" { "Back to API clients" }
                }
                form.new-secret method="post" action=(format!("{url}/secret")) {
                    (csrf_field(user))
                    h2 { "New Secret" }
                    p { "Replaces the secret at once: the old one stops working." }
                    div.check {
                        input #revoke_tokens type="checkbox" name="revoke_tokens" value="yes";
                        label for="revoke_tokens" { "Also revoke the tokens issued so far" }
                    }
                    div.actions { button.secondary type="submit" { "New Secret" } }
                }
            }
        },
    )
}

pub(super) fn edit_client(
    user: &BackOfficeUser,
    catalogue: &Catalogue,
    client: &Client,
    form: &ClientForm,
    shown: Option<&Shown>,
) -> Markup {
    let url = client_url(&client.client_id);
    layout(
        "Edit client",
        Some(user),
        html! {
            section.card.dialog {
                h1 { "Edit client" }
                (general_error(shown, &FORM_FIELDS))
                dl.settings {
                    dt { "Client id" } dd { code { (client.client_id) } }
                    dt { "Client type" } dd { (grants_text(client)) }
                }
                form method="post" action=(format!("{url}/edit")) novalidate {
                    (csrf_field(user))
                    (text_input("name", "Client name", form.name.as_deref(), shown))
                    (common_fields(catalogue, form, Some(client.kind), shown))
                    div.actions {
                        button type="submit" { "Save" }
                        a.button.secondary href=(url) { "Cancel" }
                    }
                }
            }
        },
    )
}
