//! A Salesforce DX project in source format (`sfdx-project.json`, `force-app/main/default/objects/…`) read
//! into the schema: objects, fields, record types, validation rules, value sets; everything else reported.
//! Pure: the caller reads the files and hands their paths and texts in.
