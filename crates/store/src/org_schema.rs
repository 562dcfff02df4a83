//! The schema an org's writes and describes follow: the loaded one, or, for an org whose administrator
//! lets clients set audit fields, its view with those fields createable
//! ([`bulkforce_core::org::audit_fields::with_settable_audit_fields`]). That view is built once per
//! loaded schema and shared, so an org with the setting on costs a settings read per request, not a copy.

use bulkforce_core::org::audit_fields::{OrgSettings, with_settable_audit_fields};
use bulkforce_core::schema::Schema;
use parking_lot::Mutex;
use std::sync::{Arc, Weak};

/// The last view built, with the loaded schema it was built from (a process normally loads one).
static OPENED: Mutex<Option<(Weak<Schema>, Arc<Schema>)>> = Mutex::new(None);

/// The schema an org with `settings` sees of `loaded`.
pub(crate) fn org_schema(loaded: &Arc<Schema>, settings: OrgSettings) -> Arc<Schema> {
    if !settings.set_audit_fields {
        return loaded.clone();
    }
    let mut opened = OPENED.lock();
    if let Some((from, view)) = opened.as_ref()
        && from
            .upgrade()
            .is_some_and(|from| Arc::ptr_eq(&from, loaded))
    {
        return view.clone();
    }
    let view = Arc::new(with_settable_audit_fields(loaded));
    *opened = Some((Arc::downgrade(loaded), view.clone()));
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_is_built_once_per_loaded_schema() {
        let loaded = Arc::new(Schema::builtin());
        let on = OrgSettings {
            set_audit_fields: true,
        };
        assert!(Arc::ptr_eq(
            &org_schema(&loaded, OrgSettings::default()),
            &loaded
        ));
        let first = org_schema(&loaded, on);
        assert!(
            first
                .object("Account")
                .unwrap()
                .field("CreatedDate")
                .unwrap()
                .createable
        );
        let other = Arc::new(Schema::builtin());
        let _ = org_schema(&other, on);
        let again = org_schema(&loaded, on);
        assert!(!Arc::ptr_eq(&again, &loaded));
        assert!(
            again
                .object("Account")
                .unwrap()
                .field("CreatedDate")
                .unwrap()
                .createable
        );
    }
}
