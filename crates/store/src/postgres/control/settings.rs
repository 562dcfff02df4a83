//! Settings of the whole emulator in `bulkforce.settings`, one row of text each, as the SQLite backend
//! keeps them: the clock (frozen, offset or real; `ClockSetting`'s `Display` / `FromStr`) and the marker
//! of the seed loaded into the default org. A missing row means the default.

use crate::postgres::PgStore;
use crate::{Result, StoreError};
use bulkforce_core::clock::ClockSetting;
use bulkforce_core::id::SfId;
use bulkforce_core::org::audit_fields::OrgSettings;
use postgres::GenericClient;

const CLOCK: &str = "clock";
const SEED: &str = "seed";
/// An org's settings are the row `org-settings:<org id>`, a JSON document.
const ORG_SETTINGS: &str = "org-settings:";

/// The stored clock setting's text, as a column of another query: the queries every authenticated
/// request runs (its token, or the default org's admin for `--access-token`) read it along, so an
/// instance follows a clock set on another one from its next request without a round trip more.
pub(super) const STORED_CLOCK: &str = "(SELECT value FROM bulkforce.settings WHERE name = 'clock')";

/// A stored clock setting's text; real time when none was ever set.
fn parse_clock(text: Option<&str>) -> Result<ClockSetting> {
    text.map_or(Ok(ClockSetting::Real), |text| {
        text.parse()
            .map_err(|e| StoreError::Corrupt(format!("settings: {e}")))
    })
}

fn get(client: &mut impl GenericClient, name: &str) -> Result<Option<String>> {
    Ok(client
        .query_opt(
            "SELECT value FROM bulkforce.settings WHERE name = $1",
            &[&name],
        )?
        .map(|row| row.try_get(0))
        .transpose()?)
}

fn set(client: &mut impl GenericClient, name: &str, value: &str) -> Result<()> {
    client.execute(
        "INSERT INTO bulkforce.settings (name, value) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        &[&name, &value],
    )?;
    Ok(())
}

/// Forgets the seed marker: the default org no longer holds that seed (a reset of it). Run it in the
/// reset's transaction.
pub(in crate::postgres) fn clear_seed_marker(client: &mut impl GenericClient) -> Result<()> {
    client.execute("DELETE FROM bulkforce.settings WHERE name = $1", &[&SEED])?;
    Ok(())
}

impl PgStore {
    /// The stored clock setting; real time when none was ever set.
    pub(in crate::postgres) fn stored_clock_setting(&self) -> Result<ClockSetting> {
        parse_clock(get(&mut *self.conn()?, CLOCK)?.as_deref())
    }

    /// Follows a clock setting another instance stored: `seen` is the stored text a query read along
    /// ([`STORED_CLOCK`]). When it differs from this instance's clock, the setting is read again and
    /// applied under the lock that orders settings, so a read made before a newer setting of this
    /// instance can never undo it.
    pub(super) fn follow_stored_clock(&self, seen: Option<&str>) -> Result<()> {
        if parse_clock(seen)? == self.clock.setting() {
            return Ok(());
        }
        let _in_order = self.clock_setting_lock.lock();
        self.clock.set(self.stored_clock_setting()?);
        Ok(())
    }

    /// Stores a clock setting and applies it to this instance's clock. The lock is held until the
    /// clock is set too: two settings made at once reach the stored row and the clock in the same
    /// order, so the clock is always the stored setting (as the SQLite backend does).
    pub(in crate::postgres) fn pg_set_clock_setting(&self, setting: ClockSetting) -> Result<()> {
        let _in_order = self.clock_setting_lock.lock();
        set(&mut *self.conn()?, CLOCK, &setting.to_string())?;
        self.clock.set(setting);
        Ok(())
    }

    /// The marker of the seed loaded into the default org, if one completed since its last reset.
    pub(in crate::postgres) fn pg_seed_marker(&self) -> Result<Option<String>> {
        get(&mut *self.conn()?, SEED)
    }

    pub(in crate::postgres) fn pg_set_seed_marker(&self, marker: &str) -> Result<()> {
        set(&mut *self.conn()?, SEED, marker)
    }

    /// `org`'s settings; all off when none were ever stored.
    pub(in crate::postgres) fn pg_org_settings(&self, org: SfId) -> Result<OrgSettings> {
        get(&mut *self.conn()?, &format!("{ORG_SETTINGS}{org}"))?.map_or(
            Ok(OrgSettings::default()),
            |text| {
                serde_json::from_str(&text)
                    .map_err(|e| StoreError::Corrupt(format!("org settings: {e}")))
            },
        )
    }

    pub(in crate::postgres) fn pg_set_org_settings(
        &self,
        org: SfId,
        settings: OrgSettings,
    ) -> Result<()> {
        let text = serde_json::to_string(&settings)
            .map_err(|e| StoreError::Corrupt(format!("org settings: {e}")))?;
        set(&mut *self.conn()?, &format!("{ORG_SETTINGS}{org}"), &text)
    }
}
