//! Every file kind of source format mapped into the schema, and every problem reported where it is.

use super::*;
use crate::schema::FieldType;

const NS: &str = r#"xmlns="http://soap.sforce.com/2006/04/metadata""#;

fn file(path: &str, text: &str) -> SourceFile {
    SourceFile {
        path: path.to_owned(),
        text: text.replace("NS", NS),
    }
}

fn obj(name: &str) -> String {
    format!("force-app/main/default/objects/{name}")
}

fn invoice_files() -> Vec<SourceFile> {
    let o = obj("Invoice__c");
    vec![
        file(
            &format!("{o}/Invoice__c.object-meta.xml"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CustomObject NS>\n    <label>Invoice</label>\n    <pluralLabel>Invoices</pluralLabel>\n    <nameField>\n        <label>Invoice Number</label>\n        <type>AutoNumber</type>\n        <displayFormat>INV-{0000}</displayFormat>\n        <startingNumber>5</startingNumber>\n    </nameField>\n    <sharingModel>ReadWrite</sharingModel>\n</CustomObject>\n",
        ),
        file(
            &format!("{o}/fields/Amount__c.field-meta.xml"),
            "<CustomField NS><fullName>Amount__c</fullName><label>Amount</label><type>Currency</type><precision>16</precision><scale>2</scale><required>true</required></CustomField>",
        ),
        file(
            &format!("{o}/fields/Status__c.field-meta.xml"),
            "<CustomField NS><label>Status</label><type>Picklist</type><valueSet><restricted>true</restricted><valueSetDefinition><sorted>false</sorted>\
             <value><fullName>Draft</fullName><default>true</default><label>Draft</label></value>\
             <value><fullName>Sent</fullName><default>false</default><label>Sent out</label></value>\
             <value><fullName>Old</fullName><default>false</default><label>Old</label><isActive>false</isActive></value>\
             </valueSetDefinition></valueSet></CustomField>",
        ),
        file(
            &format!("{o}/fields/Region__c.field-meta.xml"),
            "<CustomField NS><label>Region</label><type>MultiselectPicklist</type><visibleLines>4</visibleLines><valueSet><valueSetName>Regions</valueSetName></valueSet></CustomField>",
        ),
        file(
            &format!("{o}/fields/Account__c.field-meta.xml"),
            "<CustomField NS><label>Account</label><type>Lookup</type><referenceTo>Account</referenceTo><relationshipName>Invoices</relationshipName><deleteConstraint>Restrict</deleteConstraint></CustomField>",
        ),
        file(
            &format!("{o}/fields/Batch__c.field-meta.xml"),
            "<CustomField NS><label>Batch</label><type>MasterDetail</type><referenceTo>Batch__c</referenceTo><relationshipName>Invoices</relationshipName><reparentableMasterDetail>true</reparentableMasterDetail></CustomField>",
        ),
        file(
            &format!("{o}/fields/Tax__c.field-meta.xml"),
            "<CustomField NS><label>Tax</label><type>Number</type><precision>18</precision><scale>2</scale>\n<formula>Amount__c * 0.2</formula><formulaTreatBlanksAs>BlankAsBlank</formulaTreatBlanksAs></CustomField>",
        ),
        file(
            &format!("{o}/fields/Summary__c.field-meta.xml"),
            "<CustomField NS><label>Summary</label><type>Text</type><formula>&quot;INV &quot; &amp; Name</formula></CustomField>",
        ),
        file(
            &format!("{o}/fields/Issued__c.field-meta.xml"),
            "<CustomField NS><label>Issued</label><type>Date</type><defaultValue>TODAY()</defaultValue></CustomField>",
        ),
        file(
            &format!("{o}/fields/Paid__c.field-meta.xml"),
            "<CustomField NS><label>Paid</label><type>Checkbox</type><defaultValue>false</defaultValue></CustomField>",
        ),
        file(
            &format!("{o}/fields/Code__c.field-meta.xml"),
            "<CustomField NS><label>Code</label><type>Text</type><length>20</length><externalId>true</externalId><unique>true</unique><caseSensitive>false</caseSensitive></CustomField>",
        ),
        file(
            &format!("{o}/fields/Notes__c.field-meta.xml"),
            "<CustomField NS><label>Notes</label><type>LongTextArea</type><length>5000</length><visibleLines>3</visibleLines></CustomField>",
        ),
        file(
            &format!("{o}/recordTypes/Export.recordType-meta.xml"),
            "<RecordType NS><fullName>Export</fullName><active>true</active><label>Export Sale</label>\
             <picklistValues><picklist>Status__c</picklist><values><fullName>Sent</fullName><default>true</default></values></picklistValues></RecordType>",
        ),
        file(
            &format!("{o}/validationRules/Positive.validationRule-meta.xml"),
            "<ValidationRule NS><fullName>Positive</fullName><active>true</active><errorConditionFormula>Amount__c &lt; 0</errorConditionFormula><errorDisplayField>Amount__c</errorDisplayField><errorMessage>Must be positive</errorMessage></ValidationRule>",
        ),
        file(
            &format!("{o}/listViews/All.listView-meta.xml"),
            "<ListView NS/>",
        ),
        file(
            &format!("{}/Batch__c.object-meta.xml", obj("Batch__c")),
            "<CustomObject NS><label>Batch</label><nameField><label>Batch Name</label><type>Text</type></nameField></CustomObject>",
        ),
        file(
            "force-app/main/default/globalValueSets/Regions.globalValueSet-meta.xml",
            "<GlobalValueSet NS><masterLabel>Regions</masterLabel><sorted>false</sorted>\
             <customValue><fullName>EMEA</fullName><default>false</default><label>EMEA</label></customValue>\
             <customValue><fullName>APAC</fullName><default>false</default><label>APAC</label></customValue></GlobalValueSet>",
        ),
    ]
}

#[test]
fn a_custom_object_and_every_field_kind() {
    let loaded = load(Schema::builtin(), &invoice_files());
    assert!(
        loaded.report.errors.is_empty(),
        "{:?}",
        loaded.report.errors
    );
    let invoice = loaded.schema.object("Invoice__c").unwrap();
    assert!(invoice.custom);
    assert_eq!(invoice.label_plural, "Invoices");
    assert_eq!(
        invoice.key_prefix.as_str(),
        "a01",
        "Batch__c comes first: a00"
    );
    assert_eq!(
        loaded
            .schema
            .object("Batch__c")
            .unwrap()
            .key_prefix
            .as_str(),
        "a00"
    );
    let name = invoice.field("Name").unwrap();
    assert!(name.traits.auto_number && !name.createable);
    assert_eq!(name.traits.display_format.as_deref(), Some("INV-{0000}"));
    assert_eq!(name.traits.starting_number, Some(5));
    assert_eq!(name.label, "Invoice Number");
    for system in ["Id", "OwnerId", "CreatedDate", "RecordTypeId"] {
        assert!(invoice.field(system).is_some(), "{system}");
    }
    let amount = invoice.field("Amount__c").unwrap();
    assert_eq!(
        (
            amount.ftype,
            amount.precision,
            amount.scale,
            amount.nillable
        ),
        (FieldType::Currency, 16, 2, false)
    );
    let status = invoice.field("Status__c").unwrap();
    assert!(status.restricted_picklist);
    assert_eq!(status.default_picklist_value(), Some("Draft"));
    assert_eq!(status.picklist_values[1].label.as_deref(), Some("Sent out"));
    assert!(!status.allows_picklist_value("Old"));
    let region = invoice.field("Region__c").unwrap();
    assert_eq!(region.ftype, FieldType::MultiPicklist);
    assert_eq!(region.length, 4099);
    assert_eq!(region.picklist_values.len(), 2);
    let account = invoice.field("Account__c").unwrap();
    assert_eq!(account.reference_to, ["Account"]);
    assert_eq!(account.relationship_name.as_deref(), Some("Account__r"));
    assert!(account.traits.restricted_delete && account.nillable);
    let batch = invoice.field("Batch__c").unwrap();
    assert!(batch.traits.cascade_delete && !batch.nillable && batch.updateable);
    let tax = invoice.field("Tax__c").unwrap();
    let spec = tax.traits.formula.as_ref().unwrap();
    assert_eq!(spec.source, "Amount__c * 0.2");
    assert!(!spec.blanks_as_zero);
    assert!(!tax.createable && !tax.updateable && tax.traits.calculated);
    assert!(invoice.stored_fields().all(|f| f.name != "Tax__c"));
    let summary = invoice.field("Summary__c").unwrap();
    assert_eq!(
        summary.traits.formula.as_ref().unwrap().source,
        "\"INV \" & Name"
    );
    assert!(summary.traits.formula.as_ref().unwrap().blanks_as_zero);
    assert_eq!(summary.length, 1300);
    let issued = invoice.field("Issued__c").unwrap();
    assert_eq!(issued.traits.default_formula.as_deref(), Some("TODAY()"));
    assert!(issued.defaulted_on_create);
    let paid = invoice.field("Paid__c").unwrap();
    assert_eq!(
        (paid.ftype, paid.nillable, paid.defaulted_on_create),
        (FieldType::Boolean, false, true)
    );
    let code = invoice.field("Code__c").unwrap();
    assert!(code.external_id && code.unique && code.is_lookup_key());
    assert_eq!(code.length, 20);
    let notes = invoice.field("Notes__c").unwrap();
    assert_eq!((notes.ftype, notes.length), (FieldType::TextArea, 5000));
}

#[test]
fn rules_record_types_relationships_and_the_report() {
    let loaded = load(Schema::builtin(), &invoice_files());
    assert!(
        loaded.report.errors.is_empty(),
        "{:?}",
        loaded.report.errors
    );
    let invoice = loaded.schema.object("Invoice__c").unwrap();
    let rule = &invoice.validation_rules[0];
    assert_eq!(
        (rule.name.as_str(), rule.condition.as_str(), rule.active),
        ("Positive", "Amount__c < 0", true)
    );
    assert_eq!(rule.display_field.as_deref(), Some("Amount__c"));
    let declared = &invoice.record_type_infos[0];
    assert_eq!(declared.developer_name.as_deref(), Some("Export"));
    let offered = &declared.picklists_for_record_type[0];
    assert_eq!(offered.picklist_name, "Status__c");
    assert_eq!(offered.picklist_values[0].value, "Sent");
    assert_eq!(
        offered.picklist_values[0].label.as_deref(),
        Some("Sent out")
    );
    assert!(offered.picklist_values[0].default_value);
    assert_eq!(
        loaded.record_types,
        [ProjectRecordType {
            object: "Invoice__c".into(),
            developer_name: "Export".into(),
            label: "Export Sale".into(),
            active: true,
            description: None,
        }]
    );
    let accounts = loaded.schema.object("Account").unwrap();
    let child = accounts
        .child_relationships
        .iter()
        .find(|r| r.child_sobject == "Invoice__c")
        .unwrap();
    assert_eq!(child.relationship_name.as_deref(), Some("Invoices__r"));
    assert!(child.restricted_delete);
    let batches = loaded.schema.object("Batch__c").unwrap();
    assert!(batches.child_relationships[0].cascade_delete);
    let record_type = loaded.schema.object("RecordType").unwrap();
    assert!(
        record_type
            .field("SobjectType")
            .unwrap()
            .allows_picklist_value("Invoice__c")
    );
    let warnings: Vec<String> = loaded
        .report
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("listViews/All.listView-meta.xml: not supported"));
    let read: Vec<String> = loaded.report.read.iter().map(ToString::to_string).collect();
    assert!(
        read.contains(&"global value set Regions: 2 values".to_owned()),
        "{read:?}"
    );
    assert!(
        read.contains(&"custom object Invoice__c (a01): 11 fields, 1 record types (Export), 1 validation rules".to_owned()),
        "{read:?}"
    );
}

#[test]
fn standard_objects_are_extended_and_standard_value_sets_applied() {
    let files = vec![
        file(
            &format!("{}/Account.object-meta.xml", obj("Account")),
            "<CustomObject NS><sharingModel>ReadWrite</sharingModel></CustomObject>",
        ),
        file(
            &format!("{}/fields/Tier__c.field-meta.xml", obj("Account")),
            "<CustomField NS><label>Tier</label><type>Number</type><precision>3</precision><scale>0</scale></CustomField>",
        ),
        file(
            &format!("{}/fields/Industry.field-meta.xml", obj("Account")),
            "<CustomField NS><fullName>Industry</fullName><trackFeedHistory>false</trackFeedHistory><type>Picklist</type></CustomField>",
        ),
        file(
            &format!("{}/fields/Nonesuch.field-meta.xml", obj("Account")),
            "<CustomField NS><fullName>Nonesuch</fullName></CustomField>",
        ),
        file(
            &format!(
                "{}/recordTypes/Wholesale.recordType-meta.xml",
                obj("Account")
            ),
            "<RecordType NS><fullName>Wholesale</fullName><active>false</active><label>Wholesale</label>\
             <picklistValues><picklist>Industry</picklist><values><fullName>Food %26 Beverage</fullName><default>false</default></values><values><fullName>Space %26 Time</fullName><default>true</default></values></picklistValues></RecordType>",
        ),
        file(
            "force-app/main/default/standardValueSets/OpportunityStage.standardValueSet-meta.xml",
            "<StandardValueSet NS><sorted>false</sorted>\
             <standardValue><fullName>Open</fullName><default>true</default><label>Open</label><closed>false</closed><probability>10</probability><forecastCategory>Pipeline</forecastCategory><won>false</won></standardValue>\
             <standardValue><fullName>Signed</fullName><default>false</default><label>Signed</label><closed>true</closed><probability>100</probability><forecastCategory>Closed</forecastCategory><won>true</won></standardValue>\
             </StandardValueSet>",
        ),
        file(
            "force-app/main/default/standardValueSets/Mystery.standardValueSet-meta.xml",
            "<StandardValueSet NS><sorted>false</sorted></StandardValueSet>",
        ),
    ];
    let builtin_fields = Schema::builtin().object("Account").unwrap().fields().len();
    let loaded = load(Schema::builtin(), &files);
    assert!(
        loaded.report.errors.is_empty(),
        "{:?}",
        loaded.report.errors
    );
    let account = loaded.schema.object("Account").unwrap();
    assert_eq!(account.key_prefix.as_str(), "001");
    assert_eq!(account.fields().len(), builtin_fields + 1);
    assert_eq!(account.field("Tier__c").unwrap().precision, 3);
    assert_eq!(
        account.record_type_infos[0].picklists_for_record_type[0].picklist_values[0].value,
        "Food & Beverage"
    );
    assert!(!loaded.record_types[0].active);
    let stage = loaded
        .schema
        .object("Opportunity")
        .unwrap()
        .field("StageName")
        .unwrap();
    let values: Vec<&str> = stage
        .picklist_values
        .iter()
        .map(|p| p.value.as_str())
        .collect();
    assert_eq!(values, ["Open", "Signed"]);
    let (name, flags) = &loaded.standard_value_sets[0];
    assert_eq!(name, "OpportunityStage");
    assert!(flags[1].closed && flags[1].won && flags[1].probability == Some(100));
    let warnings: Vec<String> = loaded
        .report
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("Account.Nonesuch is a standard field")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("Mystery")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("Space & Time is not a value of Industry")),
        "{warnings:?}"
    );
}

#[test]
fn unsupported_files_are_warnings_with_their_paths() {
    let files = vec![
        file(
            "force-app/main/default/triggers/T.trigger",
            "trigger T on Account (before insert) {}",
        ),
        file(
            "force-app/main/default/triggers/T.trigger-meta.xml",
            "<ApexTrigger NS/>",
        ),
        file("force-app/main/default/flows/F.flow-meta.xml", "<Flow NS/>"),
        file(
            "force-app/main/default/duplicateRules/Account.D.duplicateRule-meta.xml",
            "<DuplicateRule NS/>",
        ),
        file("force-app/main/default/lwc/c/c.js", "export default 1;"),
        file(
            "force-app/main/default/lwc/c/c.js-meta.xml",
            "<LightningComponentBundle NS/>",
        ),
        file("force-app/main/default/README.md", "hello"),
        file(
            &format!("{}/E__e.object-meta.xml", obj("E__e")),
            "<CustomObject NS/>",
        ),
        file(
            &format!("{}/fields/X__c.field-meta.xml", obj("Invoice__c")),
            "<CustomField NS><type>Summary</type></CustomField>",
        ),
        file(
            &format!("{}/Invoice__c.object-meta.xml", obj("Invoice__c")),
            "<CustomObject NS><label>Invoice</label></CustomObject>",
        ),
        file(
            &format!("{}/Thing.object-meta.xml", obj("Thing")),
            "<CustomObject NS/>",
        ),
    ];
    let loaded = load(Schema::builtin(), &files);
    assert!(
        loaded.report.errors.is_empty(),
        "{:?}",
        loaded.report.errors
    );
    let warnings: Vec<String> = loaded
        .report
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect();
    let expect = [
        "force-app/main/default/triggers/T.trigger-meta.xml: not supported: an Apex trigger",
        "force-app/main/default/flows/F.flow-meta.xml: not supported: a flow",
        "Account.D.duplicateRule-meta.xml: not supported: a duplicate rule",
        "lwc/c/c.js-meta.xml: not supported: a Lightning web component",
        "force-app/main/default/README.md: not a metadata file",
        "E__e.object-meta.xml: not supported: E__e is a platform event",
        "X__c.field-meta.xml: field type Summary is not supported",
        "Thing.object-meta.xml: not supported: Thing is a standard object bulkforce does not have",
    ];
    for expected in expect {
        assert!(
            warnings.iter().any(|w| w.contains(expected)),
            "{expected}: {warnings:?}"
        );
    }
    assert_eq!(warnings.len(), expect.len(), "{warnings:?}");
    assert!(loaded.schema.object("E__e").is_none());
}

#[test]
fn errors_name_file_line_and_column() {
    let files = vec![
        file(
            &format!("{}/fields/Bad__c.field-meta.xml", obj("Account")),
            "<CustomField NS>\n  <label>Bad</label>\n  <type>Text</typo>\n</CustomField>",
        ),
        file(
            &format!("{}/fields/Flag__c.field-meta.xml", obj("Account")),
            "<CustomField NS>\n  <type>Checkbox</type>\n  <required>yes</required>\n</CustomField>",
        ),
        file(
            &format!("{}/fields/Ref__c.field-meta.xml", obj("Account")),
            "<CustomField NS><type>Lookup</type>\n<referenceTo>Nowhere__c</referenceTo></CustomField>",
        ),
        file(
            &format!("{}/fields/Set__c.field-meta.xml", obj("Account")),
            "<CustomField NS><type>Picklist</type>\n<valueSet><valueSetName>Missing</valueSetName></valueSet></CustomField>",
        ),
        file(
            &format!("{}/fields/Orphan__c.field-meta.xml", obj("Orphan__c")),
            "<CustomField NS><type>Text</type></CustomField>",
        ),
        file(
            &format!(
                "{}/validationRules/R.validationRule-meta.xml",
                obj("Account")
            ),
            "<ValidationRule NS><active>true</active></ValidationRule>",
        ),
        file(
            &format!("{}/recordTypes/R.recordType-meta.xml", obj("Account")),
            "<CustomField NS/>",
        ),
    ];
    let loaded = load(Schema::builtin(), &files);
    let errors: Vec<String> = loaded
        .report
        .errors
        .iter()
        .map(ToString::to_string)
        .collect();
    let expect = [
        "Bad__c.field-meta.xml:3:",
        "Flag__c.field-meta.xml:3:3: <required> must be true or false",
        "Ref__c.field-meta.xml:2:1: Account.Ref__c refers to Nowhere__c",
        "Set__c.field-meta.xml:2:1: the global value set Missing is not in the project",
        "Orphan__c.field-meta.xml:1:1: the custom object Orphan__c has no Orphan__c.object-meta.xml",
        "R.validationRule-meta.xml:1:1: a validation rule needs <errorConditionFormula>",
        "R.recordType-meta.xml:1:1: the root element is <CustomField>",
    ];
    for expected in expect {
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{expected}: {errors:?}"
        );
    }
    assert_eq!(errors.len(), expect.len(), "{errors:?}");
}

#[test]
fn formula_positions_map_to_the_file() {
    let text = "<ValidationRule NS>\n  <active>true</active>\n  <errorConditionFormula>AND(\n    A &lt; B,\n    C)</errorConditionFormula>\n  <errorMessage>m</errorMessage>\n</ValidationRule>";
    let text = text.replace("NS", NS);
    let root = xml::parse(&text).unwrap();
    let (_, condition) = validation_rule::parse(&root, "R").unwrap();
    let site = formulas::FormulaSite::new(
        "r.xml",
        "Account",
        formulas::Purpose::Rule,
        &condition,
        &text,
    );
    assert_eq!(site.source, "AND(\n    A < B,\n    C)");
    // Formula line 1 column 1 is just after the opening tag.
    assert_eq!(
        site.file_position(1, 1),
        Position {
            line: 3,
            column: 26
        }
    );
    // `B` on the formula's second line sits after the 4-character `&lt;`.
    assert_eq!(
        site.file_position(2, 9),
        Position {
            line: 4,
            column: 12
        }
    );
    assert_eq!(site.file_position(3, 5), Position { line: 5, column: 5 });
    // Past the end: after the last character.
    assert_eq!(site.file_position(9, 9), Position { line: 5, column: 7 });
}

#[test]
fn a_malformed_formula_is_an_error_at_its_place_in_the_file() {
    let files = vec![file(
        &format!(
            "{}/validationRules/Bad.validationRule-meta.xml",
            obj("Account")
        ),
        "<ValidationRule NS>\n    <active>true</active>\n    <errorConditionFormula>AND(\n        Name = &quot;x&quot;,\n        ))</errorConditionFormula>\n    <errorMessage>m</errorMessage>\n</ValidationRule>",
    )];
    let loaded = load(Schema::builtin(), &files);
    let errors: Vec<String> = loaded
        .report
        .errors
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(
            "force-app/main/default/objects/Account/validationRules/Bad.validationRule-meta.xml:5:9: validation rule condition: "
        ),
        "{errors:?}"
    );
}

#[test]
fn formulas_are_type_checked_against_the_merged_schema() {
    let rule = |name: &str, condition: &str| {
        file(
            &format!(
                "{}/validationRules/{name}.validationRule-meta.xml",
                obj("Account")
            ),
            &format!(
                "<ValidationRule NS>\n<active>true</active>\n<errorConditionFormula>{condition}</errorConditionFormula>\n<errorMessage>m</errorMessage></ValidationRule>"
            ),
        )
    };
    let files = vec![
        file(
            &format!("{}/fields/Tier__c.field-meta.xml", obj("Account")),
            "<CustomField NS><label>Tier</label><type>Number</type><precision>3</precision><scale>0</scale></CustomField>",
        ),
        file(
            &format!("{}/fields/Double_Tier__c.field-meta.xml", obj("Account")),
            "<CustomField NS><label>Double</label><type>Number</type><formula>Tier__c * 2</formula></CustomField>",
        ),
        rule(
            "Good",
            "AND(ISCHANGED(Tier__c), Double_Tier__c &gt; 4, Owner.Email = $User.Email)",
        ),
        rule("Not_Boolean", "Tier__c + 1"),
        rule("Unknown", "Tier__c &gt; 1 &amp;&amp; Nope__c = 2"),
        file(
            &format!("{}/fields/Prior__c.field-meta.xml", obj("Account")),
            "<CustomField NS><label>Prior</label><type>Checkbox</type><formula>ISCHANGED(Tier__c)</formula></CustomField>",
        ),
    ];
    let loaded = load(Schema::builtin(), &files);
    let errors: Vec<String> = loaded
        .report
        .errors
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    let at = |file: &str| errors.iter().find(|e| e.contains(file)).unwrap().clone();
    assert!(
        at("Not_Boolean").contains("Not_Boolean.validationRule-meta.xml:3:"),
        "{errors:?}"
    );
    // `Nope__c` is after the opening tag (23 characters) and `Tier__c &gt; 1 &amp;&amp; ` (26 in the file).
    assert!(
        at("Unknown").contains("Unknown.validationRule-meta.xml:3:50: validation rule condition: "),
        "{errors:?}"
    );
    assert!(
        at("Prior__c").contains("formula of Account.Prior__c: "),
        "{errors:?}"
    );
}
