//! bulkforce-soql: SOQL text to a bound, typed logical query ([`bound::Query`]). No SQL, no I/O.

pub mod bound;
