//! The markup of Settings → IAM → API Access (seed 002): the table, the Add API client and
//! edit dialogs with the permissions grid, and the client secret dialog.

use maud::{Markup, html};

use super::Role;
use super::auth::BackOfficeUser;
use super::fields::{Fields, Shown};
use super::iam::{BASE, row_url};
use super::layout::{
    csrf_field, described, field_error, layout, pencil_icon, secret_field, trash_icon, warning_icon,
};
use crate::catalogue::Catalogue;
use crate::client::Client;
use crate::secret::ClientSecret;

/// The Add and edit dialogs' fields, as typed.
#[derive(Debug, Default, Clone)]
pub(super) struct WalletForm {
    pub(super) id: String,
    pub(super) expiry_date: String,
    pub(super) notes: String,
    pub(super) roles: Vec<String>,
}

impl WalletForm {
    pub(super) fn from_fields(fields: &Fields) -> Self {
        Self {
            id: fields.get("id").unwrap_or_default().trim().to_owned(),
            expiry_date: fields
                .get("expiry_date")
                .unwrap_or_default()
                .trim()
                .to_owned(),
            notes: fields.get("notes").unwrap_or_default().to_owned(),
            roles: fields.all("roles"),
        }
    }

    pub(super) fn of(client: &Client) -> Self {
        Self {
            id: client.short_id.clone().unwrap_or_default(),
            expiry_date: client.expiry_date.clone().unwrap_or_default(),
            notes: client.notes.clone().unwrap_or_default(),
            roles: client.roles.iter().cloned().collect(),
        }
    }
}

fn roles_text(client: &Client) -> String {
    client.roles.iter().cloned().collect::<Vec<_>>().join(", ")
}

pub(super) fn table(
    user: &BackOfficeUser,
    clients: &[&Client],
    now_unix: i64,
    created: Option<(&str, &ClientSecret)>,
    token_endpoint: &str,
    external_key: &str,
) -> Markup {
    let can_change = user.has(Role::ApiAccessChange);
    layout(
        "API Access",
        Some(user),
        html! {
            @if let Some((client_id, secret)) = created {
                section.card.dialog.secret-dialog role="dialog" aria-labelledby="secret-title" {
                    h2 #secret-title { "Copy the secret now" }
                    p { "The client secret of " code { (client_id) } " is only shown once. Store it securely — it cannot be retrieved afterwards." }
                    (secret_field("client-secret", "Client secret", secret.secret()))
                    div.actions { a.button href=(BASE) { "Done" } }
                }
            }
            section.card.wide {
                div.heading {
                    h1 { "API Access" }
                    @if can_change {
                        a.button #add-api-client href=(format!("{BASE}/new")) { "Add API client" }
                    }
                }
                p.lead { "OAuth client IDs that let external systems authenticate against your wallet with the client credentials flow." }
                @if clients.is_empty() {
                    p { "No client IDs yet." }
                } @else {
                    table #api-clients {
                        caption.visually-hidden { "API clients" }
                        thead { tr {
                            th scope="col" { "Client ID" }
                            th scope="col" { "Roles" }
                            th scope="col" { "Expiry date" }
                            th scope="col" { "Notes" }
                            @if can_change { th scope="col" { span.visually-hidden { "Actions" } } }
                        } }
                        tbody {
                            @for client in clients {
                                @let expired = client.is_expired(now_unix);
                                tr class=[expired.then_some("expired")] {
                                    th scope="row" {
                                        @if expired {
                                            span.warning title="Expired" { (warning_icon()) }
                                            span.visually-hidden { "Expired: " }
                                        }
                                        code { (client.client_id) }
                                    }
                                    td { (roles_text(client)) }
                                    td { (client.expiry_date.as_deref().unwrap_or("—")) }
                                    td.notes { (client.notes.as_deref().unwrap_or("")) }
                                    @if can_change {
                                        td.row-actions {
                                            a.icon-button href=(row_url(&client.client_id, "edit")) aria-label="Edit" title="Edit" { (pencil_icon()) }
                                            a.icon-button href=(row_url(&client.client_id, "delete")) aria-label="Delete" title="Delete" { (trash_icon()) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                h2 { "Token endpoint" }
                p { "Obtain an access token with the client credentials flow:" }
                pre.example {
                    "POST " (token_endpoint) "\nContent-Type: application/x-www-form-urlencoded\n\ngrant_type=client_credentials\n&client_id=wallet-" (external_key) "-{your-client-id}\n&client_secret={your-client-secret}"
                }
            }
        },
    )
}

/// The permissions grid: a row per resource; Change grants CRUD and ticks View (the script
/// does it in the page, the server's rule adds View regardless; AMB-20), View alone is allowed.
fn grid(catalogue: &Catalogue, ticked: &[String], shown: Option<&Shown>) -> Markup {
    let error = Shown::at(shown, "roles");
    html! {
        fieldset #roles {
            legend { "Permissions" }
            table.grid {
                thead { tr {
                    th scope="col" { "Resource" }
                    th scope="col" { "Change" }
                    th scope="col" { "View" }
                } }
                tbody {
                    @for resource in &catalogue.wallet.resources {
                        @let change = format!("{resource}:change");
                        @let view = format!("{resource}:view");
                        @let change_id = format!("perm-{resource}-change");
                        @let view_id = format!("perm-{resource}-view");
                        tr {
                            th scope="row" { (resource) }
                            td {
                                input id=(change_id) type="checkbox" name="roles" value=(change) data-view=(view_id) checked[ticked.contains(&change)];
                                label.visually-hidden for=(change_id) { (resource) ": Change" }
                            }
                            td {
                                input id=(view_id) type="checkbox" name="roles" value=(view) data-change=(change_id) checked[ticked.contains(&view) || ticked.contains(&change)];
                                label.visually-hidden for=(view_id) { (resource) ": View" }
                            }
                        }
                    }
                }
            }
            (field_error("roles", error.as_deref()))
        }
    }
}

fn general_error(shown: Option<&Shown>) -> Markup {
    html! {
        @if let Some(shown) = shown.filter(|s| !["id", "expiry_date", "notes", "roles"].contains(&s.field.as_str())) {
            div.alert role="alert" { (shown.field) ": " (shown.message) }
        }
    }
}

fn notes_field(form: &WalletForm, shown: Option<&Shown>) -> Markup {
    let error = Shown::at(shown, "notes");
    let (describedby, invalid) = described("notes", error.as_deref());
    html! {
        label for="notes" { "Notes" span.optional { " (optional)" } }
        textarea #notes name="notes" rows="3" aria-describedby=[describedby] aria-invalid=[invalid] { (form.notes) }
        (field_error("notes", error.as_deref()))
    }
}

pub(super) fn add(
    user: &BackOfficeUser,
    catalogue: &Catalogue,
    form: &WalletForm,
    shown: Option<&Shown>,
) -> Markup {
    let id_error = Shown::at(shown, "id");
    let date_error = Shown::at(shown, "expiry_date");
    let (id_described, id_invalid) = described("id", id_error.as_deref());
    let (date_described, date_invalid) = described("expiry_date", date_error.as_deref());
    layout(
        "Add API client",
        Some(user),
        html! {
            section.card.dialog role="dialog" aria-labelledby="dialog-title" {
                h1 #dialog-title { "Add API client" }
                (general_error(shown))
                form method="post" action=(format!("{BASE}/new")) novalidate {
                    (csrf_field(user))
                    label for="id" { "Client ID" span.required { " (required)" } }
                    input #id type="text" name="id" value=(form.id) required autofocus aria-describedby=[id_described] aria-invalid=[id_invalid];
                    p.hint { "A unique identifier, such as acme-backend or reporting-service. It cannot be changed after creation." }
                    (field_error("id", id_error.as_deref()))
                    label for="expiry_date" { "Expiry date" span.required { " (required)" } }
                    input #expiry_date type="date" name="expiry_date" value=(form.expiry_date) required aria-describedby=[date_described] aria-invalid=[date_invalid];
                    (field_error("expiry_date", date_error.as_deref()))
                    (notes_field(form, shown))
                    (grid(catalogue, &form.roles, shown))
                    div.actions {
                        button type="submit" { "Save" }
                        a.button.secondary href=(BASE) { "Cancel" }
                    }
                }
            }
        },
    )
}

pub(super) fn edit(
    user: &BackOfficeUser,
    catalogue: &Catalogue,
    client: &Client,
    form: &WalletForm,
    shown: Option<&Shown>,
) -> Markup {
    layout(
        "Edit API client",
        Some(user),
        html! {
            section.card.dialog role="dialog" aria-labelledby="dialog-title" {
                h1 #dialog-title { "Edit API client" }
                (general_error(shown))
                dl.settings {
                    dt { "Client ID" } dd #fixed-client-id { code { (client.client_id) } }
                    dt { "Expiry date" } dd #fixed-expiry-date { (client.expiry_date.as_deref().unwrap_or("—")) }
                }
                p.hint { "The client ID and expiry date cannot be changed." }
                form method="post" action=(row_url(&client.client_id, "edit")) novalidate {
                    (csrf_field(user))
                    (notes_field(form, shown))
                    (grid(catalogue, &form.roles, shown))
                    div.actions {
                        button type="submit" { "Save" }
                        a.button.secondary href=(BASE) { "Cancel" }
                    }
                }
            }
        },
    )
}
