//! One check per field of a client, each naming the field it refuses.

use super::spec::{ClientSpec, FieldError, Rules, given_fields, permitted_fields};
use super::*;

pub(super) fn build_client(
    kind: ClientKind,
    spec: &ClientSpec,
    existing: Option<&Client>,
    rules: Rules<'_>,
) -> Result<Client, FieldError> {
    let permitted = permitted_fields(kind);
    if let Some(field) = given_fields(spec)
        .into_iter()
        .find(|f| !permitted.contains(f))
    {
        return Err(FieldError::misplaced(field, kind));
    }
    let catalogue = rules.catalogue;
    let (client_id, short_id) = match (kind, existing) {
        (_, Some(existing)) => (existing.client_id.clone(), existing.short_id.clone()),
        (ClientKind::Wallet, None) => {
            let short = spec
                .id
                .as_deref()
                .ok_or_else(|| FieldError::new("id", "required for a wallet client"))?;
            check_wallet_id(short)?;
            (
                format!("wallet-{}-{short}", catalogue.wallet.external_key),
                Some(short.to_owned()),
            )
        }
        (_, None) => match &spec.client_id {
            Some(id) => {
                check_chosen_client_id(id)?;
                (id.clone(), None)
            }
            None => (generated_client_id(kind), None),
        },
    };
    let name = optional_text(spec.name.as_deref(), "name", MAX_NAME_CHARS, false)?;
    let notes = optional_text(spec.notes.as_deref(), "notes", MAX_NOTES_CHARS, true)?;
    let ip_whitelist = ip_whitelist(spec.ip_whitelist.as_deref().unwrap_or_default())?;
    let grants = grants(kind, spec.grants.as_deref())?;
    let redirect_urls = redirect_urls(kind, spec.redirect_urls.as_deref(), rules)?;
    let resource_ids = resource_ids(kind, spec.resource_ids.as_deref())?;
    let roles = roles(kind, spec.roles.as_deref(), catalogue)?;
    let scopes = match kind {
        ClientKind::OneClick => {
            scopes(spec.scopes.as_deref(), &catalogue.one_click.default_scopes)?
        }
        ClientKind::AdminApi => {
            scopes(spec.scopes.as_deref(), &catalogue.admin_api.default_scopes)?
        }
        ClientKind::Wallet | ClientKind::ResourceServer => BTreeSet::new(),
    };
    let access_token_validity = validity(
        spec.access_token_validity_seconds,
        "access_token_validity_seconds",
        DEFAULT_ACCESS_VALIDITY,
        ACCESS_VALIDITY_RANGE,
    )?;
    let refresh_token_validity = validity(
        spec.refresh_token_validity_seconds,
        "refresh_token_validity_seconds",
        DEFAULT_REFRESH_VALIDITY,
        REFRESH_VALIDITY_RANGE,
    )?;
    let (expiry_date, expires_at) = match (kind, existing) {
        (_, Some(existing)) => (existing.expiry_date.clone(), existing.expires_at),
        (ClientKind::Wallet, None) => {
            let (date, cutoff) = expiry(spec.expiry_date.as_deref(), rules.now_unix)?;
            (Some(date), Some(cutoff))
        }
        (_, None) => (None, None),
    };
    Ok(Client {
        row_id: 0,
        authenticated_with: None,
        client_id,
        kind,
        short_id,
        name,
        notes,
        grants,
        redirect_urls,
        resource_ids,
        ip_whitelist,
        roles,
        scopes,
        access_token_validity,
        refresh_token_validity,
        expiry_date,
        expires_at,
        created_at: rules.now_unix,
        updated_at: rules.now_unix,
    })
}

/// AMB-26: `a-z 0-9 . _ -`, 1–64 characters, starting with a letter or digit.
fn check_wallet_id(id: &str) -> Result<(), FieldError> {
    let valid = (1..=64).contains(&id.len())
        && id
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(FieldError::new(
            "id",
            "1 to 64 characters from a-z 0-9 . _ -, starting with a letter or a digit",
        ))
    }
}

fn check_chosen_client_id(id: &str) -> Result<(), FieldError> {
    if !(1..=128).contains(&id.len()) || !id.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(FieldError::new(
            "client_id",
            "1 to 128 printable ASCII characters",
        ));
    }
    if id.starts_with("wallet-") {
        // Wallet ids are built by the server (AMB-26); a chosen one must not pose as one.
        return Err(FieldError::new(
            "client_id",
            "ids starting with wallet- are reserved for wallet clients",
        ));
    }
    Ok(())
}

fn generated_client_id(kind: ClientKind) -> String {
    let prefix = match kind {
        ClientKind::OneClick => "one-click",
        ClientKind::AdminApi => "admin-api",
        ClientKind::ResourceServer => "resource-server",
        ClientKind::Wallet => "wallet",
    };
    let suffix: String = random_value()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    format!("{prefix}-{suffix}")
}

fn optional_text(
    value: Option<&str>,
    field: &str,
    max_chars: usize,
    multiline: bool,
) -> Result<Option<String>, FieldError> {
    let Some(value) = value else { return Ok(None) };
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > max_chars {
        return Err(FieldError::new(
            field,
            format!("at most {max_chars} characters"),
        ));
    }
    let allowed_control = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if value.chars().any(|c| c.is_control() && !allowed_control(c)) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(Some(value.to_owned()))
}

/// Parses every entry of a list field, naming the first bad one (`field[i]`), dropping repeats.
fn parse_list<T: PartialEq>(
    entries: &[String],
    field: &str,
    parse: impl Fn(&str) -> Result<T, &'static str>,
) -> Result<Vec<T>, FieldError> {
    if entries.len() > MAX_LIST_ENTRIES {
        return Err(FieldError::new(
            field,
            format!("at most {MAX_LIST_ENTRIES} entries"),
        ));
    }
    let mut parsed: Vec<T> = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let value = parse(entry).map_err(|why| FieldError::new(format!("{field}[{i}]"), why))?;
        if !parsed.contains(&value) {
            parsed.push(value);
        }
    }
    Ok(parsed)
}

fn ip_whitelist(entries: &[String]) -> Result<Vec<IpNet>, FieldError> {
    parse_list(entries, "ip_whitelist", |entry| {
        parse_ip_net(entry)
            .map_err(|_| "an IPv4 or IPv6 address or CIDR block (no host names, no zone ids)")
    })
}

fn grants(
    kind: ClientKind,
    given: Option<&[GrantType]>,
) -> Result<BTreeSet<GrantType>, FieldError> {
    let set = |g: &[GrantType]| g.iter().copied().collect::<BTreeSet<_>>();
    match kind {
        ClientKind::OneClick => {
            let grants = given.map_or_else(|| BTreeSet::from([GrantType::AuthorizationCode]), set);
            if !grants.contains(&GrantType::AuthorizationCode)
                && !grants.contains(&GrantType::ClientCredentials)
            {
                return Err(FieldError::new(
                    "grants",
                    "needs authorization_code (or client_credentials)",
                ));
            }
            Ok(grants)
        }
        ClientKind::AdminApi => {
            let grants = given.map_or_else(|| BTreeSet::from([GrantType::ClientCredentials]), set);
            if grants != BTreeSet::from([GrantType::ClientCredentials]) {
                return Err(FieldError::new(
                    "grants",
                    "an admin_api client has exactly the client_credentials grant",
                ));
            }
            Ok(grants)
        }
        ClientKind::Wallet => Ok(BTreeSet::from([GrantType::ClientCredentials])),
        ClientKind::ResourceServer => Ok(BTreeSet::new()),
    }
}

fn redirect_urls(
    kind: ClientKind,
    given: Option<&[String]>,
    rules: Rules<'_>,
) -> Result<Vec<String>, FieldError> {
    let profile = rules.profile;
    if kind != ClientKind::OneClick {
        return Ok(Vec::new());
    }
    let given = given.unwrap_or_default();
    if given.is_empty() {
        return Err(FieldError::new(
            "redirect_urls",
            "a one_click client needs at least one redirect URL",
        ));
    }
    parse_list(given, "redirect_urls", |raw| {
        rules.policy.redirect_registration(raw, profile)
    })
}

fn resource_ids(
    kind: ClientKind,
    given: Option<&[String]>,
) -> Result<BTreeSet<String>, FieldError> {
    let (allowed, default): (&[&str], &[&str]) = match kind {
        ClientKind::OneClick => (&[BACKOFFICE_API, IDENTITY_API], &[IDENTITY_API]),
        ClientKind::AdminApi => (&[BACKOFFICE_API], &[BACKOFFICE_API]),
        ClientKind::Wallet => (&[WALLET_API], &[WALLET_API]),
        ClientKind::ResourceServer => (&[BACKOFFICE_API, IDENTITY_API, WALLET_API], &[]),
    };
    let ids: BTreeSet<String> = match given {
        Some(given) => given.iter().cloned().collect(),
        None => default.iter().map(|s| (*s).to_owned()).collect(),
    };
    if ids.is_empty() {
        return Err(FieldError::new(
            "resource_ids",
            format!("at least one of: {}", allowed.join(", ")),
        ));
    }
    if ids.iter().any(|id| !allowed.contains(&id.as_str())) {
        return Err(FieldError::new(
            "resource_ids",
            format!(
                "a {} client may hold only: {}",
                kind.as_str(),
                allowed.join(", ")
            ),
        ));
    }
    Ok(ids)
}

/// Wallet roles are `<resource>:view` / `<resource>:change`; change adds view (ROLE-01, AMB-20).
/// Admin API roles come from the catalogue (ROLE-04, AMB-21).
fn roles(
    kind: ClientKind,
    given: Option<&[String]>,
    catalogue: &Catalogue,
) -> Result<BTreeSet<String>, FieldError> {
    let given = given.unwrap_or_default();
    if given.len() > MAX_LIST_ENTRIES {
        return Err(FieldError::new(
            "roles",
            format!("at most {MAX_LIST_ENTRIES} entries"),
        ));
    }
    let mut roles = BTreeSet::new();
    for (i, role) in given.iter().enumerate() {
        let field = || format!("roles[{i}]");
        match kind {
            ClientKind::AdminApi => {
                if !catalogue.admin_api.roles.contains(role) {
                    return Err(FieldError::new(field(), "not a role of the catalogue"));
                }
                roles.insert(role.clone());
            }
            ClientKind::Wallet => {
                let (resource, level) = role.split_once(':').ok_or_else(|| {
                    FieldError::new(
                        field(),
                        "a wallet role is <resource>:view or <resource>:change",
                    )
                })?;
                if !catalogue.wallet.resources.contains(resource) {
                    return Err(FieldError::new(
                        field(),
                        "not a resource of the wallet catalogue",
                    ));
                }
                match level {
                    "view" => {}
                    "change" => {
                        roles.insert(format!("{resource}:change"));
                    }
                    _ => return Err(FieldError::new(field(), "the level is view or change")),
                }
                roles.insert(format!("{resource}:view"));
            }
            ClientKind::OneClick | ClientKind::ResourceServer => {}
        }
    }
    Ok(roles)
}

/// RFC 6749 §3.3 scope-token characters: %x21 / %x23-5B / %x5D-7E.
pub fn is_scope_token(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

fn scopes(
    given: Option<&[String]>,
    default: &BTreeSet<String>,
) -> Result<BTreeSet<String>, FieldError> {
    let Some(given) = given else {
        return Ok(default.clone());
    };
    if given.len() > MAX_LIST_ENTRIES {
        return Err(FieldError::new(
            "scopes",
            format!("at most {MAX_LIST_ENTRIES} entries"),
        ));
    }
    let mut scopes = BTreeSet::new();
    for (i, scope) in given.iter().enumerate() {
        if !is_scope_token(scope) {
            return Err(FieldError::new(
                format!("scopes[{i}]"),
                "a scope is one RFC 6749 scope-token: printable ASCII without space, \" or \\",
            ));
        }
        scopes.insert(scope.clone());
    }
    Ok(scopes)
}

fn validity(
    given: Option<i64>,
    field: &str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, FieldError> {
    let value = given.unwrap_or(default);
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(
            field,
            format!("from {} to {} seconds", range.start(), range.end()),
        ))
    }
}

/// EXP-01: default today (UTC) + one calendar year, 29 February → 28 February (AMB-13);
/// a date before today is refused, today is accepted (AMB-15). Returns the date and the
/// cut-off: 00:00 UTC of the next day (AMB-12).
fn expiry(given: Option<&str>, now_unix: i64) -> Result<(String, i64), FieldError> {
    let today = OffsetDateTime::from_unix_timestamp(now_unix)
        .map_err(|_| FieldError::new("expiry_date", "the server clock is out of range"))?
        .date();
    let date = match given {
        None => one_year_after(today),
        Some(text) => {
            let date = Date::parse(text, DATE_FORMAT).map_err(|_| {
                FieldError::new("expiry_date", "a calendar date written YYYY-MM-DD")
            })?;
            if date < today {
                return Err(FieldError::new(
                    "expiry_date",
                    "must be today (UTC) or later",
                ));
            }
            date
        }
    };
    let next_day = date
        .next_day()
        .ok_or_else(|| FieldError::new("expiry_date", "too far in the future"))?;
    let cutoff = next_day.midnight().assume_utc().unix_timestamp();
    let text = date
        .format(DATE_FORMAT)
        .map_err(|_| FieldError::new("expiry_date", "cannot be written as YYYY-MM-DD"))?;
    Ok((text, cutoff))
}

pub fn one_year_after(today: Date) -> Date {
    let year = today.year() + 1;
    Date::from_calendar_date(year, today.month(), today.day())
        .or_else(|_| Date::from_calendar_date(year, Month::February, 28))
        .unwrap_or(today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn rules(catalogue: &Catalogue, now: OffsetDateTime) -> Rules<'_> {
        Rules {
            catalogue,
            profile: Profile::Vendor,
            now_unix: now.unix_timestamp(),
            allow_chosen_secrets: false,
            policy: &crate::policy::StandardPolicy,
        }
    }

    fn spec(json: serde_json::Value) -> ClientSpec {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn exp_01_default_expiry_is_one_calendar_year_and_leap_day_falls_back() {
        let cat = Catalogue::embedded().unwrap();
        let new = validate_new(
            spec(serde_json::json!({"kind": "wallet", "id": "acme"})),
            rules(&cat, datetime!(2028-02-29 13:00 UTC)),
        )
        .unwrap();
        assert_eq!(new.client.expiry_date.as_deref(), Some("2029-02-28"));
        assert_eq!(
            new.client.expires_at,
            Some(datetime!(2029-03-01 00:00 UTC).unix_timestamp())
        );
    }

    #[test]
    fn exp_01_today_is_accepted_yesterday_is_not() {
        let cat = Catalogue::embedded().unwrap();
        let now = datetime!(2030-06-15 23:59:59 UTC);
        let today = validate_new(
            spec(serde_json::json!({"kind": "wallet", "id": "a", "expiry_date": "2030-06-15"})),
            rules(&cat, now),
        );
        assert!(today.is_ok());
        let yesterday = validate_new(
            spec(serde_json::json!({"kind": "wallet", "id": "a", "expiry_date": "2030-06-14"})),
            rules(&cat, now),
        );
        assert_eq!(yesterday.unwrap_err().field, "expiry_date");
    }

    #[test]
    fn role_01_change_implies_view_and_view_survives_its_removal() {
        let cat = Catalogue::embedded().unwrap();
        let r = rules(&cat, OffsetDateTime::now_utc());
        let new = validate_new(
            spec(serde_json::json!({"kind": "wallet", "id": "a", "roles": ["accounts:change", "reports:view"]})),
            r,
        )
        .unwrap();
        let expected: BTreeSet<String> = ["accounts:change", "accounts:view", "reports:view"]
            .map(String::from)
            .into();
        assert_eq!(new.client.roles, expected);
        let edited = validate_edit(
            &new.client,
            spec(serde_json::json!({"roles": ["accounts:change"]})),
            r,
        )
        .unwrap();
        assert!(edited.roles.contains("accounts:view"));
    }

    #[test]
    fn admin_07_immutable_fields_refuse_change_but_accept_the_same_value() {
        let cat = Catalogue::embedded().unwrap();
        let r = rules(&cat, OffsetDateTime::now_utc());
        let client = validate_new(spec(serde_json::json!({"kind": "wallet", "id": "a"})), r)
            .unwrap()
            .client;
        let same = serde_json::json!({"client_id": client.client_id, "expiry_date": client.expiry_date, "notes": "n"});
        assert_eq!(
            validate_edit(&client, spec(same), r)
                .unwrap()
                .notes
                .as_deref(),
            Some("n")
        );
        for (field, value) in [
            ("client_id", "wallet-demo-b"),
            ("id", "b"),
            ("expiry_date", "2099-01-01"),
        ] {
            let err =
                validate_edit(&client, spec(serde_json::json!({ field: value })), r).unwrap_err();
            assert_eq!(err.field, field);
        }
    }

    #[test]
    fn fields_of_another_kind_are_refused() {
        let cat = Catalogue::embedded().unwrap();
        let r = rules(&cat, OffsetDateTime::now_utc());
        let err = validate_new(
            spec(
                serde_json::json!({"kind": "admin_api", "redirect_urls": ["https://m.example/cb"]}),
            ),
            r,
        )
        .unwrap_err();
        assert_eq!(err.field, "redirect_urls");
        let err = validate_new(spec(serde_json::json!({"kind": "wallet", "id": "a", "expiry_date": "2099-01-01", "scopes": ["x"]})), r)
            .unwrap_err();
        assert_eq!(err.field, "scopes");
    }

    #[test]
    fn ip_06_whitelist_entries() {
        let good = ["127.0.0.2", "127.0.0.0/30", "::1", "::1/128"].map(String::from);
        let nets = ip_whitelist(&good).unwrap();
        assert_eq!(nets.len(), 3, "::1 and ::1/128 are one entry");
        let mapped = ip_whitelist(&["::ffff:127.0.0.2".to_owned()]).unwrap();
        assert_eq!(
            mapped[0].to_string(),
            "127.0.0.2/32",
            "mapped addresses are stored as IPv4"
        );
        for bad in ["300.1.1.1", "10.0.0.0/33", "fe80::1%eth0", "localhost", ""] {
            assert!(ip_whitelist(&[bad.to_owned()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn admin_api_roles_must_come_from_the_catalogue() {
        let cat = Catalogue::embedded().unwrap();
        let r = rules(&cat, OffsetDateTime::now_utc());
        let err = validate_new(
            spec(serde_json::json!({"kind": "admin_api", "roles": ["ROOT"]})),
            r,
        )
        .unwrap_err();
        assert_eq!(err.field, "roles[0]");
        let ok = validate_new(
            spec(serde_json::json!({"kind": "admin_api", "roles": ["MERCHANT_ADMIN"]})),
            r,
        )
        .unwrap();
        assert_eq!(ok.client.admin_access(&cat), Some(AdminAccess::Change));
        assert_eq!(ok.client.scopes.len(), 7);
        assert_eq!(
            ok.client.resource_ids,
            BTreeSet::from([BACKOFFICE_API.to_owned()])
        );
    }
}
