//! Compound address and geolocation fields in REST JSON: an object keyed by part (`city`, `latitude`, …,
//! alphabetically, as Salesforce writes them), or `null` when every part is null. The parts are found by
//! core ([`compound_parts`]); only the JSON is made here.

use bulkforce_core::org::compound::compound_parts;
use bulkforce_core::schema::{Field, SObject};
use serde_json::{Map, Value as Json};

/// A compound value from its parts' keys and JSON values (in key order).
pub(super) fn from_parts<'a>(parts: impl IntoIterator<Item = (&'a str, Json)>) -> Json {
    let map: Map<String, Json> = parts
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
    if map.values().all(Json::is_null) {
        Json::Null
    } else {
        Json::Object(map)
    }
}

/// `compound` of a record of `object` whose part values `value_of` gives.
pub(super) fn of_record(
    object: &SObject,
    compound: &Field,
    value_of: impl Fn(&Field) -> Json,
) -> Json {
    let parts = compound_parts(object, compound);
    from_parts(
        parts
            .iter()
            .map(|part| (part.key.as_str(), value_of(&object.fields()[part.field]))),
    )
}
