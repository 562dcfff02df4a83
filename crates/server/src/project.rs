//! Reading a Salesforce DX project from disk into the schema (being built).
