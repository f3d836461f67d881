//! The configurable catalogue of roles and resources (AMB-20, AMB-21, AMB-35).

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

/// The sample catalogue shipped in `fixtures/catalogue.toml`.
const EMBEDDED: &str = include_str!("../../fixtures/catalogue.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub admin_api: AdminApiCatalogue,
    pub wallet: WalletCatalogue,
    pub one_click: OneClickCatalogue,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminApiCatalogue {
    pub roles: BTreeSet<String>,
    pub admin_change_roles: BTreeSet<String>,
    #[serde(default)]
    pub admin_read_roles: BTreeSet<String>,
    pub default_scopes: BTreeSet<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletCatalogue {
    pub external_key: String,
    pub resources: BTreeSet<String>,
    pub admin_resource: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneClickCatalogue {
    pub default_scopes: BTreeSet<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("cannot read the catalogue {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the catalogue is not valid: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("the catalogue is not valid: {0}")]
    Invalid(&'static str),
}

impl Catalogue {
    pub fn embedded() -> Result<Self, CatalogueError> {
        Self::parse(EMBEDDED)
    }

    pub fn load(path: &Path) -> Result<Self, CatalogueError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogueError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, CatalogueError> {
        let catalogue: Catalogue = toml::from_str(text)?;
        catalogue.validate()?;
        Ok(catalogue)
    }

    fn validate(&self) -> Result<(), CatalogueError> {
        if !self
            .admin_api
            .admin_change_roles
            .is_subset(&self.admin_api.roles)
            || !self
                .admin_api
                .admin_read_roles
                .is_subset(&self.admin_api.roles)
        {
            return Err(CatalogueError::Invalid(
                "admin_change_roles and admin_read_roles must be listed in roles",
            ));
        }
        if !self.wallet.resources.contains(&self.wallet.admin_resource) {
            return Err(CatalogueError::Invalid(
                "wallet.admin_resource must be one of wallet.resources",
            ));
        }
        let key_ok = !self.wallet.external_key.is_empty()
            && self
                .wallet
                .external_key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if !key_ok {
            return Err(CatalogueError::Invalid(
                "wallet.external_key must be non-empty, from a-z 0-9 . _ -",
            ));
        }
        let resource_ok = |r: &String| {
            !r.is_empty()
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        if !self.wallet.resources.iter().all(resource_ok) {
            return Err(CatalogueError::Invalid(
                "wallet resources must be non-empty, from a-z 0-9 _",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalogue_loads() {
        let catalogue = Catalogue::embedded().unwrap();
        assert!(catalogue.admin_api.roles.contains("MERCHANT_ADMIN"));
        assert_eq!(catalogue.admin_api.default_scopes.len(), 7);
        assert!(catalogue.wallet.resources.contains("api_access"));
    }

    #[test]
    fn an_admin_role_outside_the_role_list_is_refused() {
        let text = EMBEDDED.replace(
            "admin_change_roles = [\"MERCHANT_ADMIN\"]",
            "admin_change_roles = [\"ROOT\"]",
        );
        assert!(matches!(
            Catalogue::parse(&text),
            Err(CatalogueError::Invalid(_))
        ));
    }
}
