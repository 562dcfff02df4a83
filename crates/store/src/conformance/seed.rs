//! The seed marker: what `serve --seed` stores once a seed loaded whole, so that a later start can tell
//! "this seed, complete" from "a partial or another seed". It lasts across restarts and goes when the
//! default org is reset (whose records it describes), and only then.

use super::reset::scratch_blobs;
use super::{Backend, Fixture};
use crate::Result;

pub fn the_seed_marker_lasts_until_the_default_org_is_reset(backend: &dyn Backend) -> Result<()> {
    let (_dir, blobs) = scratch_blobs()?;
    {
        let f = Fixture::open(backend)?;
        assert_eq!(f.store.seed_marker()?, None, "no seed was ever loaded");
        f.store.set_seed_marker("sha256:first")?;
        assert_eq!(f.store.seed_marker()?.as_deref(), Some("sha256:first"));
        f.store.set_seed_marker("sha256:second")?;
    }
    let f = Fixture::open(backend)?;
    assert_eq!(
        f.store.seed_marker()?.as_deref(),
        Some("sha256:second"),
        "the last marker survives a restart"
    );
    let other = f.store.create_org("Other", "admin@other.test", None)?;
    assert!(f.store.reset_org(other.org_id, &blobs)?);
    assert_eq!(
        f.store.seed_marker()?.as_deref(),
        Some("sha256:second"),
        "another org's reset leaves the default org's seed"
    );
    assert!(f.store.reset_org(f.org(), &blobs)?);
    assert_eq!(
        f.store.seed_marker()?,
        None,
        "the default org's reset forgets it"
    );
    f.store.set_seed_marker("sha256:third")?;
    f.store.reset_all(&blobs)?;
    assert_eq!(f.store.seed_marker()?, None, "a reset of every org too");
    Ok(())
}
