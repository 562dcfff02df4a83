//! Compound address and geolocation fields (`BillingAddress`, `Location__c`): never stored themselves,
//! read through their parts (`BillingCity`, `Location__Latitude__s`, …). The REST API shows one as a JSON
//! object keyed by part (`city`, `latitude`, …, in alphabetical order), or `null` when every part is null.
//!
//! A part is a field whose describe names the compound in `compoundFieldName`; a describe that leaves that
//! out still finds the standard parts by name (the compound's prefix and an address or location part name).

use crate::schema::{Field, FieldType, SObject};

/// One part of a compound field: its key in the compound's JSON and the field it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct CompoundPart {
    /// `city`, `postalCode`, `latitude`, … (the part's name without the compound's prefix, lower camel case).
    pub key: String,
    /// Index of the part field in its object's fields.
    pub field: usize,
}

/// The part names an address or geolocation compound has (the Address type extends Location).
const PART_NAMES: [&str; 10] = [
    "Street",
    "City",
    "State",
    "StateCode",
    "PostalCode",
    "Country",
    "CountryCode",
    "Latitude",
    "Longitude",
    "GeocodeAccuracy",
];

/// Whether `field` is a compound field (read through parts, never stored).
pub fn is_compound(field: &Field) -> bool {
    field.ftype == FieldType::Compound
}

/// The stored parts of `compound` on `object`, sorted by key: the order Salesforce writes them in.
pub fn compound_parts(object: &SObject, compound: &Field) -> Vec<CompoundPart> {
    let prefix = part_prefix(&compound.name);
    let declared = |f: &Field| {
        f.traits
            .compound_field_name
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(&compound.name))
    };
    let any_declared = object.fields().iter().any(declared);
    let mut parts: Vec<CompoundPart> = object
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.ftype.is_stored())
        .filter_map(|(i, f)| {
            let rest = strip_prefix_ignore_case(&f.name, &prefix)?;
            let rest = rest.strip_suffix("__s").unwrap_or(rest);
            let known = PART_NAMES.iter().any(|p| p.eq_ignore_ascii_case(rest));
            let is_part = if any_declared { declared(f) } else { known };
            is_part.then(|| CompoundPart {
                key: lower_camel(rest),
                field: i,
            })
        })
        .collect();
    parts.sort_by(|a, b| a.key.cmp(&b.key));
    parts
}

/// What precedes a part's own name: `Billing` for `BillingAddress`, nothing for a Lead's `Address`,
/// `Location__` for the custom geolocation `Location__c` (whose parts are `Location__Latitude__s`).
fn part_prefix(compound: &str) -> String {
    if let Some(stem) = compound.strip_suffix("__c") {
        return format!("{stem}__");
    }
    compound
        .strip_suffix("Address")
        .unwrap_or(compound)
        .to_owned()
}

fn strip_prefix_ignore_case<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    let head = name.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &name[prefix.len()..])
        .filter(|rest| !rest.is_empty())
}

fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_lowercase().to_string() + chars.as_str()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schema;

    fn keys(schema: &Schema, object: &str, compound: &str) -> Vec<(String, String)> {
        let object = schema.object(object).unwrap();
        let field = object.field(compound).unwrap();
        compound_parts(object, field)
            .into_iter()
            .map(|p| (p.key, object.fields()[p.field].name.clone()))
            .collect()
    }

    #[test]
    fn address_parts_are_found_by_name_and_sorted_by_key() {
        let mut schema = Schema::builtin();
        schema
            .merge_describe(r#"{"name":"Account","fields":[{"name":"BillingAddress","type":"address","nillable":true}]}"#)
            .unwrap();
        let found: Vec<String> = keys(&schema, "Account", "BillingAddress")
            .into_iter()
            .map(|(key, field)| format!("{key}={field}"))
            .collect();
        assert!(
            found.starts_with(&[
                "city=BillingCity".to_owned(),
                "country=BillingCountry".to_owned()
            ]),
            "{found:?}"
        );
        assert!(found.contains(&"latitude=BillingLatitude".to_owned()));
        assert!(found.contains(&"street=BillingStreet".to_owned()));
        assert!(!found.iter().any(|f| f.contains("Shipping")));
    }

    #[test]
    fn geolocation_parts_come_from_compound_field_name() {
        let mut schema = Schema::builtin();
        schema
            .merge_describe(
                r#"{"name":"Site__c","fields":[
                {"name":"Name","type":"string","length":80},
                {"name":"Spot__c","type":"location","nillable":true},
                {"name":"Spot__Latitude__s","type":"double","nillable":true,"compoundFieldName":"Spot__c"},
                {"name":"Spot__Longitude__s","type":"double","nillable":true,"compoundFieldName":"Spot__c"}]}"#,
            )
            .unwrap();
        assert_eq!(
            keys(&schema, "Site__c", "Spot__c"),
            [
                ("latitude".to_owned(), "Spot__Latitude__s".to_owned()),
                ("longitude".to_owned(), "Spot__Longitude__s".to_owned())
            ]
        );
    }
}
