//! Statements Salesforce refuses, with the exact error code and message (echo, caret and
//! `ERROR at Row:R:Column:C` included, windowed the way Salesforce windows long lines).

mod common;

use bulkforce_soql::Mode;
use common::*;

/// Which API a case is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum In {
    /// Both APIs refuse the statement with the same error.
    Both,
    Bulk,
    Rest,
}

const MALFORMED: &str = "MALFORMED_QUERY";
const INVALID_FIELD: &str = "INVALID_FIELD";
const INVALID_TYPE: &str = "INVALID_TYPE";
const FILTER_OPERATOR: &str = "INVALID_QUERY_FILTER_OPERATOR";
const API_ERROR: &str = "API_ERROR";

const BULK_AGGREGATE: &str =
    "Aggregate Relationships not supported in Bulk Query with CSV content type";

fn unexpected(token: &str) -> String {
    format!("unexpected token: '{token}'")
}

fn cases() -> Vec<(In, &'static str, &'static str, String)> {
    use In::*;
    let s1 = "SELECT Id FROM Account WHERE Name = 'a' AND Type = 'b' OR Industry = 'c'";
    let s2 = "SELECT Id FROM Account WHERE Name = 'a' OR Type = 'b' AND Industry = 'c'";
    vec![
        // ---- Syntax ----
        (Both, "SELECT Id FORM Account", MALFORMED, at("SELECT Id FORM Account", 11, &unexpected("FORM"))),
        (Both, "SELECT FROM Account", MALFORMED, at("SELECT FROM Account", 8, &unexpected("FROM"))),
        (Both, "SELECT Id FROM", MALFORMED, at("SELECT Id FROM", 15, &unexpected("<EOF>"))),
        (Both, "SELECT Id, FROM Account", MALFORMED, at("SELECT Id, FROM Account", 12, &unexpected("FROM"))),
        (Both, "", MALFORMED, at("", 1, &unexpected("<EOF>"))),
        (Both, "DELETE FROM Account", MALFORMED, at("DELETE FROM Account", 1, &unexpected("DELETE"))),
        (Both, "SELECT Id FROM Account WHERE", MALFORMED, at("SELECT Id FROM Account WHERE", 29, &unexpected("<EOF>"))),
        (Both, "SELECT Id FROM Account WHERE Name", MALFORMED, at("SELECT Id FROM Account WHERE Name", 34, &unexpected("<EOF>"))),
        (Both, "SELECT Id FROM Account WHERE Name == 'x'", MALFORMED, at("SELECT Id FROM Account WHERE Name == 'x'", 36, &unexpected("="))),
        (Both, s1, MALFORMED, at_window("WHERE Name = 'a' AND Type = 'b' OR Industry = 'c'", 32, 1, col(s1, "OR "), &unexpected("OR"))),
        (Both, s2, MALFORMED, at_window("WHERE Name = 'a' OR Type = 'b' AND Industry = 'c'", 31, 1, col(s2, "AND "), &unexpected("AND"))),
        (Both, "SELECT Id FROM Account WHERE Name = 'a' AND NOT Type = 'b'", MALFORMED, at_window(" Account WHERE Name = 'a' AND NOT Type = 'b'", 30, 1, 45, &unexpected("NOT"))),
        (Both, "SELECT Id FROM Account WHERE NOT Name = 'a' AND Type = 'b'", MALFORMED, at_window(" Account WHERE NOT Name = 'a' AND Type = 'b'", 30, 1, 45, &unexpected("AND"))),
        (Both, "SELECT Id FROM Account WHERE Name NOT LIKE 'a%'", MALFORMED, at_window("Id FROM Account WHERE Name NOT LIKE 'a%'", 31, 1, 39, &unexpected("LIKE"))),
        (Both, "SELECT Id FROM Account WHERE Name IN ()", MALFORMED, at_window("Id FROM Account WHERE Name IN ()", 31, 1, 39, &unexpected(")"))),
        (Both, "SELECT Id FROM Account ORDER Name", MALFORMED, at("SELECT Id FROM Account ORDER Name", 30, &unexpected("Name"))),
        (Both, "SELECT Id FROM Account LIMIT x", MALFORMED, at("SELECT Id FROM Account LIMIT x", 30, &unexpected("x"))),
        (Both, "SELECT Id FROM Account LIMIT 1.5", MALFORMED, at("SELECT Id FROM Account LIMIT 1.5", 30, &unexpected("1.5"))),
        (Both, "SELECT Id FROM Account LIMIT -1", MALFORMED, at("SELECT Id FROM Account LIMIT -1", 30, &unexpected("-1"))),
        (Both, "SELECT Id FROM Account GROUP Industry", MALFORMED, at("SELECT Id FROM Account GROUP Industry", 30, &unexpected("Industry"))),
        (Both, "SELECT Id FROM Account WHERE Name = Acme", MALFORMED, at_window(" Id FROM Account WHERE Name = Acme", 30, 1, 37, &unexpected("Acme"))),
        (Both, "SELECT Id FROM Account WHERE Name = 'a')", MALFORMED, at_window(" FROM Account WHERE Name = 'a')", 30, 1, 40, &unexpected(")"))),
        (Both, "SELECT Id Name FROM Account", MALFORMED, at("SELECT Id Name FROM Account", 11, &unexpected("Name"))),
        (Both, "SELECT Name FROM Account WITH FOO", MALFORMED, at("SELECT Name FROM Account WITH FOO", 31, &unexpected("FOO"))),
        (Both, "SELECT FIELDS(BOGUS) FROM Account", MALFORMED, at("SELECT FIELDS(BOGUS) FROM Account", 15, &unexpected("BOGUS"))),
        (Both, "SELECT Id FROM Account ORDER BY Name NULLS MIDDLE", MALFORMED, at_window("FROM Account ORDER BY Name NULLS MIDDLE", 33, 1, 44, &unexpected("MIDDLE"))),
        (Both, "SELECT Id FROM Account Acct Extra", MALFORMED, at("SELECT Id FROM Account Acct Extra", 29, &unexpected("Extra"))),
        (Both, "SELECT Id FROM Account WHERE (Name = 'a'", MALFORMED, at_window("FROM Account WHERE (Name = 'a'", 30, 1, 41, &unexpected("<EOF>"))),
        (Both, "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS", MALFORMED, at_window("WHERE CreatedDate = LAST_N_DAYS", 31, 1, 55, &unexpected("<EOF>"))),
        (Both, "SELECT Id FROM Account WHERE CreatedDate = TODAY:3", MALFORMED, at_window("Account WHERE CreatedDate = TODAY:3", 33, 1, 49, &unexpected(":"))),
        (Both, "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:x", MALFORMED, at_window("WHERE CreatedDate = LAST_N_DAYS:x", 32, 1, 56, &unexpected("x"))),
        (Both, "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAY:3", MALFORMED, at_window("FROM Account WHERE CreatedDate = LAST_N_DAY:3", 33, 1, 44, &unexpected("LAST_N_DAY"))),
        (Both, "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:-1", MALFORMED, at_window("WHERE CreatedDate = LAST_N_DAYS:-1", 32, 1, 56, &unexpected("-1"))),
        (Both, "SELECT Id FROM Account WHERE Name LIKE 'a' LIKE 'b'", MALFORMED, at_window("FROM Account WHERE Name LIKE 'a' LIKE 'b'", 33, 1, 44, &unexpected("LIKE"))),
        (Both, "SELECT Id, (SELECT Id FROM Contacts FROM Account", MALFORMED, at_window(" Id, (SELECT Id FROM Contacts FROM Account", 30, 1, 37, &unexpected("FROM"))),
        // ---- Lexical ----
        (Both, "SELECT Id FROM Account;", MALFORMED, at("SELECT Id FROM Account;", 22, "line 1:22 no viable alternative at character ';'")),
        (Both, "SELECT Id FROM Account WHERE Name = \"x\"", MALFORMED, at("SELECT Id FROM Account WHERE Name = \"x\"", 36, "line 1:36 no viable alternative at character '\"'")),
        (Both, "SELECT Id FROM Account WHERE CreatedDate > 2024-03-10T10:05:00", MALFORMED, at_window("CreatedDate > 2024-03-10T10:05:00", 32, 1, 62, "line 1:62 no viable alternative at character '<EOF>'")),
        (Both, "SELECT Id FROM Account WHERE Name = 'abc", MALFORMED, at_window(" FROM Account WHERE Name = 'abc", 30, 1, 40, "line 1:40 mismatched character '<EOF>' expecting '''")),
        (Both, r"SELECT Id FROM Account WHERE Name = 'a\qb'", MALFORMED, at_window(r"Id FROM Account WHERE Name = 'a\qb'", 31, 1, 39, r"Invalid string literal 'a\qb'. Illegal character sequence '\q' in string literal.")),
        (Both, "SELECT Id FROM Opportunity WHERE CloseDate = 2024-02-30", MALFORMED, at_window("Opportunity WHERE CloseDate = 2024-02-30", 30, 1, 46, "Invalid date: 2024-02-30")),
        // ---- Unknown objects, fields and relationships ----
        (Both, "SELECT Foo FROM Account", INVALID_FIELD, "\nSELECT Foo FROM Account\n       ^\nERROR at Row:1:Column:8\nNo such column 'Foo' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.".to_owned()),
        (Both, "SELECT Id FROM Missing__c", INVALID_TYPE, "\nSELECT Id FROM Missing__c\n               ^\nERROR at Row:1:Column:16\nsObject type 'Missing__c' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.".to_owned()),
        (Both, "SELECT Id FROM missing", INVALID_TYPE, at("SELECT Id FROM missing", 16, &bad_object("missing"))),
        (Both, "SELECT Id, Account.Foo FROM Contact", INVALID_FIELD, at("SELECT Id, Account.Foo FROM Contact", 12, &no_such_column("Foo", "Account"))),
        (Both, "SELECT Foo.Name FROM Contact", INVALID_FIELD, at("SELECT Foo.Name FROM Contact", 8, &bad_relationship("Foo"))),
        (Both, "SELECT AccountId.Name FROM Contact", INVALID_FIELD, at("SELECT AccountId.Name FROM Contact", 8, &bad_relationship("AccountId"))),
        (Both, "SELECT Account FROM Contact", INVALID_FIELD, at("SELECT Account FROM Contact", 8, &no_such_column("Account", "Contact"))),
        (Both, "SELECT Account.Owner.Foo FROM Contact", INVALID_FIELD, at("SELECT Account.Owner.Foo FROM Contact", 8, &no_such_column("Foo", "User"))),
        (Both, "SELECT Account.Foo.Name FROM Contact", INVALID_FIELD, at("SELECT Account.Foo.Name FROM Contact", 8, &bad_relationship("Foo"))),
        (Both, "SELECT Partner__r.Industry FROM Account", INVALID_FIELD, at("SELECT Partner__r.Industry FROM Account", 8, &no_such_column("Industry", "Name"))),
        (Both, "SELECT Account__c.Name FROM Project__c", INVALID_FIELD, at("SELECT Account__c.Name FROM Project__c", 8, &bad_relationship("Account__c"))),
        (Both, "SELECT Name FROM Account a WHERE b.Name = 'x'", INVALID_FIELD, at("SELECT Name FROM Account a WHERE b.Name = 'x'", 34, &bad_relationship("b"))),
        (Both, "SELECT Account.Owner.Manager.Manager.Manager.Manager.Name FROM Contact", MALFORMED, at_window("SELECT Account.Owner.Manager.Manager.Manager.Manager.Name", 7, 1, 8, "SOQL statements cannot query relationships more than 5 levels away from the root entity object")),
        (Both, "SELECT Id FROM Contact WHERE Foo = 1", INVALID_FIELD, at("SELECT Id FROM Contact WHERE Foo = 1", 30, &no_such_column("Foo", "Contact"))),
        (Both, "SELECT Id FROM Contact ORDER BY Foo", INVALID_FIELD, at("SELECT Id FROM Contact ORDER BY Foo", 33, &no_such_column("Foo", "Contact"))),
        (Both, "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Nope__c)", INVALID_TYPE, at_window(" Id IN (SELECT AccountId FROM Nope__c)", 30, 1, 59, &bad_object("Nope__c"))),
        (Both, "SELECT Id FROM Account WHERE Id IN (SELECT Foo FROM Contact)", INVALID_FIELD, at_window("FROM Account WHERE Id IN (SELECT Foo FROM Contact)", 33, 1, 44, &no_such_column("Foo", "Contact"))),
        // ---- Literal types ----
        (Both, "SELECT Id FROM Account WHERE NumberOfEmployees = 'x'", INVALID_FIELD, at("SELECT Id FROM Account WHERE NumberOfEmployees = 'x'", 30, &criterion("NumberOfEmployees", "int", false))),
        (Both, "SELECT Id FROM Account WHERE AnnualRevenue = '5'", INVALID_FIELD, at("SELECT Id FROM Account WHERE AnnualRevenue = '5'", 30, &criterion("AnnualRevenue", "double", false))),
        (Both, "SELECT Id FROM Account WHERE Name = 5", INVALID_FIELD, at("SELECT Id FROM Account WHERE Name = 5", 30, &criterion("Name", "string", true))),
        (Both, "SELECT Id FROM Account WHERE Name = TRUE", INVALID_FIELD, at("SELECT Id FROM Account WHERE Name = TRUE", 30, &criterion("Name", "string", true))),
        (Both, "SELECT Id FROM Account WHERE Name = 2024-01-01", INVALID_FIELD, at("SELECT Id FROM Account WHERE Name = 2024-01-01", 30, &criterion("Name", "string", true))),
        (Both, "SELECT Id FROM Account WHERE IsDeleted = 'true'", INVALID_FIELD, at("SELECT Id FROM Account WHERE IsDeleted = 'true'", 30, &criterion("IsDeleted", "boolean", false))),
        (Both, "SELECT Id FROM Account WHERE IsDeleted = 1", INVALID_FIELD, at("SELECT Id FROM Account WHERE IsDeleted = 1", 30, &criterion("IsDeleted", "boolean", false))),
        (Both, "SELECT Id FROM Account WHERE CreatedDate = '2024-01-01'", INVALID_FIELD, at("SELECT Id FROM Account WHERE CreatedDate = '2024-01-01'", 30, &criterion("CreatedDate", "dateTime", false))),
        (Both, "SELECT Id FROM Account WHERE CreatedDate = 2024-01-01", INVALID_FIELD, at("SELECT Id FROM Account WHERE CreatedDate = 2024-01-01", 30, &criterion("CreatedDate", "dateTime", false))),
        (Both, "SELECT Id FROM Contact WHERE Birthdate = 2024-01-01T00:00:00Z", INVALID_FIELD, at("SELECT Id FROM Contact WHERE Birthdate = 2024-01-01T00:00:00Z", 30, &criterion("Birthdate", "date", false))),
        (Both, "SELECT Id FROM Contact WHERE Birthdate > 5", INVALID_FIELD, at("SELECT Id FROM Contact WHERE Birthdate > 5", 30, &criterion("Birthdate", "date", false))),
        (Both, "SELECT Id FROM Account WHERE Score__c = 'high'", INVALID_FIELD, at("SELECT Id FROM Account WHERE Score__c = 'high'", 30, &criterion("Score__c", "double", false))),
        (Both, "SELECT Id FROM Account WHERE Visits__c = 1.5", INVALID_FIELD, at("SELECT Id FROM Account WHERE Visits__c = 1.5", 30, &criterion("Visits__c", "long", false))),
        (Both, "SELECT Id FROM Account WHERE NumberOfEmployees = 1.5", INVALID_FIELD, at("SELECT Id FROM Account WHERE NumberOfEmployees = 1.5", 30, &criterion("NumberOfEmployees", "int", false))),
        (Both, "SELECT Id FROM Account WHERE NumberOfEmployees = TRUE", INVALID_FIELD, at("SELECT Id FROM Account WHERE NumberOfEmployees = TRUE", 30, &criterion("NumberOfEmployees", "int", false))),
        (Both, "SELECT Id FROM Account WHERE Opens__c = '10:00'", INVALID_FIELD, at("SELECT Id FROM Account WHERE Opens__c = '10:00'", 30, &criterion("Opens__c", "time", false))),
        (Both, "SELECT Id FROM Account WHERE Industry = 5", INVALID_FIELD, at("SELECT Id FROM Account WHERE Industry = 5", 30, &criterion("Industry", "string", true))),
        (Both, "SELECT Id FROM Account WHERE OwnerId = 5", INVALID_FIELD, at("SELECT Id FROM Account WHERE OwnerId = 5", 30, &criterion("OwnerId", "id", true))),
        (Both, "SELECT Id FROM Account WHERE OwnerId = 'nope'", FILTER_OPERATOR, at("SELECT Id FROM Account WHERE OwnerId = 'nope'", 30, "invalid ID field: nope")),
        (Both, "SELECT Id FROM Account WHERE Id IN ('001', 'x')", FILTER_OPERATOR, at("SELECT Id FROM Account WHERE Id IN ('001', 'x')", 30, "invalid ID field: 001")),
        (Both, "SELECT Id FROM Account WHERE Id = '0010g0000000007AAB'", FILTER_OPERATOR, at("SELECT Id FROM Account WHERE Id = '0010g0000000007AAB'", 30, "invalid ID field: 0010g0000000007AAB")),
        (Both, "SELECT Id FROM Account WHERE Name LIKE 5", INVALID_FIELD, at("SELECT Id FROM Account WHERE Name LIKE 5", 30, &criterion("Name", "string", true))),
        (Both, "SELECT Id FROM Account WHERE Name LIKE NULL", INVALID_FIELD, at("SELECT Id FROM Account WHERE Name LIKE NULL", 30, &criterion("Name", "string", true))),
        (Both, "SELECT Id FROM Account WHERE Tags__c INCLUDES (5)", INVALID_FIELD, at("SELECT Id FROM Account WHERE Tags__c INCLUDES (5)", 30, &criterion("Tags__c", "string", true))),
        (Both, "SELECT Id FROM Account WHERE CALENDAR_YEAR(CreatedDate) = '2024'", INVALID_FIELD, at("SELECT Id FROM Account WHERE CALENDAR_YEAR(CreatedDate) = '2024'", 30, &criterion("CALENDAR_YEAR(CreatedDate)", "int", false))),
        (Both, "SELECT Id FROM Account WHERE DAY_ONLY(CreatedDate) = 2024-01-01T00:00:00Z", INVALID_FIELD, at("SELECT Id FROM Account WHERE DAY_ONLY(CreatedDate) = 2024-01-01T00:00:00Z", 30, &criterion("DAY_ONLY(CreatedDate)", "date", false))),
        (Both, "SELECT Id FROM Account WHERE NumberOfEmployees IN (1, 'a')", INVALID_FIELD, at("SELECT Id FROM Account WHERE NumberOfEmployees IN (1, 'a')", 30, &criterion("NumberOfEmployees", "int", false))),
        (Both, "SELECT Id FROM Account WHERE CreatedDate IN (TODAY, 5)", INVALID_FIELD, at("SELECT Id FROM Account WHERE CreatedDate IN (TODAY, 5)", 30, &criterion("CreatedDate", "dateTime", false))),
        (Both, "SELECT Id FROM Contact WHERE Account.Name = 5", INVALID_FIELD, at("SELECT Id FROM Contact WHERE Account.Name = 5", 30, &criterion("Name", "string", true))),
        // ---- Operators and filterable fields ----
        (Both, "SELECT Id FROM Account WHERE Tags__c LIKE 'a%'", FILTER_OPERATOR, at("SELECT Id FROM Account WHERE Tags__c LIKE 'a%'", 30, "invalid operator on multipicklist field")),
        (Both, "SELECT Id FROM Account WHERE Tags__c > 'a'", FILTER_OPERATOR, at("SELECT Id FROM Account WHERE Tags__c > 'a'", 30, "invalid operator on multipicklist field")),
        (Both, "SELECT Id FROM Account WHERE IsDeleted > FALSE", FILTER_OPERATOR, at("SELECT Id FROM Account WHERE IsDeleted > FALSE", 30, "invalid operator on boolean field")),
        (Both, "SELECT Id FROM Account WHERE NumberOfEmployees LIKE '1%'", FILTER_OPERATOR, at("SELECT Id FROM Account WHERE NumberOfEmployees LIKE '1%'", 30, "invalid operator on int field")),
        (Both, "SELECT Id FROM Account WHERE OwnerId LIKE '005%'", FILTER_OPERATOR, at("SELECT Id FROM Account WHERE OwnerId LIKE '005%'", 30, "invalid operator on reference field")),
        (Both, "SELECT Id FROM Account WHERE Id LIKE '001%'", FILTER_OPERATOR, at("SELECT Id FROM Account WHERE Id LIKE '001%'", 30, "invalid operator on id field")),
        (Both, "SELECT Id FROM Account WHERE CreatedDate LIKE '2024%'", FILTER_OPERATOR, at("SELECT Id FROM Account WHERE CreatedDate LIKE '2024%'", 30, "invalid operator on datetime field")),
        (Both, "SELECT Id FROM Account WHERE AnnualRevenue LIKE '1%'", FILTER_OPERATOR, at("SELECT Id FROM Account WHERE AnnualRevenue LIKE '1%'", 30, "invalid operator on currency field")),
        (Both, "SELECT Id FROM Account WHERE Name INCLUDES ('a')", FILTER_OPERATOR, at("SELECT Id FROM Account WHERE Name INCLUDES ('a')", 30, "includes or excludes operator only valid on multipicklist field")),
        (Both, "SELECT Id FROM Account WHERE Industry EXCLUDES ('a')", FILTER_OPERATOR, at("SELECT Id FROM Account WHERE Industry EXCLUDES ('a')", 30, "includes or excludes operator only valid on multipicklist field")),
        (Both, "SELECT Id FROM Account WHERE CALENDAR_YEAR(CreatedDate) LIKE '2%'", FILTER_OPERATOR, at_window("SELECT Id FROM Account WHERE CALENDAR_YEAR(CreatedDate) LIKE", 29, 1, 30, "invalid operator on function")),
        (Both, "SELECT Id FROM Account WHERE Description = 'x'", INVALID_FIELD, at("SELECT Id FROM Account WHERE Description = 'x'", 30, "field 'Description' can not be filtered in a query call")),
        (Both, "SELECT Id FROM Account WHERE Logo__c = 'x'", INVALID_FIELD, at("SELECT Id FROM Account WHERE Logo__c = 'x'", 30, "field 'Logo__c' can not be filtered in a query call")),
        (Both, "SELECT Id FROM Account ORDER BY Description", INVALID_FIELD, at("SELECT Id FROM Account ORDER BY Description", 33, "field 'Description' can not be sorted in a query call")),
        (Both, "SELECT Id FROM Account ORDER BY Tags__c", INVALID_FIELD, at("SELECT Id FROM Account ORDER BY Tags__c", 33, "field 'Tags__c' can not be sorted in a query call")),
        (Both, "SELECT Id FROM Account WHERE COUNT(Id) > 1", MALFORMED, at("SELECT Id FROM Account WHERE COUNT(Id) > 1", 30, "Aggregate functions are not supported in the WHERE clause")),
        // ---- Duplicates ----
        (Both, "SELECT Id, Id FROM Account", INVALID_FIELD, at("SELECT Id, Id FROM Account", 12, "duplicate field selected: Id")),
        (Both, "SELECT Name, name FROM Account", INVALID_FIELD, at("SELECT Name, name FROM Account", 14, "duplicate field selected: name")),
        (Both, "SELECT Account.Name, account.name FROM Contact", INVALID_FIELD, at("SELECT Account.Name, account.name FROM Contact", 22, "duplicate field selected: account.name")),
        (Both, "SELECT Id, FIELDS(STANDARD) FROM Account", INVALID_FIELD, "duplicate field selected: Id".to_owned()),
        (Rest, "SELECT COUNT(Id) c, COUNT(Name) c FROM Account", MALFORMED, at("SELECT COUNT(Id) c, COUNT(Name) c FROM Account", 33, "duplicate alias: c")),
        // ---- Aggregates and grouping (REST) ----
        (Rest, "SELECT Name, COUNT(Id) FROM Account", MALFORMED, at("SELECT Name, COUNT(Id) FROM Account", 8, "Field must be grouped or aggregated: Name")),
        (Rest, "SELECT Name, COUNT(Id) FROM Account GROUP BY Industry", MALFORMED, at_window("SELECT Name, COUNT(Id) FROM Account GROUP", 7, 1, 8, "Field must be grouped or aggregated: Name")),
        (Rest, "SELECT Id FROM Account ORDER BY COUNT(Id)", MALFORMED, at_window("SELECT Id FROM Account ORDER BY COUNT(", 7, 1, 8, "Field must be grouped or aggregated: Id")),
        (Rest, "SELECT CALENDAR_YEAR(CreatedDate) FROM Account", MALFORMED, at_window("SELECT CALENDAR_YEAR(CreatedDate) FROM", 7, 1, 8, "Field must be grouped or aggregated: CALENDAR_YEAR(CreatedDate)")),
        (Rest, "SELECT Type FROM Case GROUP BY Type ORDER BY Status", MALFORMED, at_window("FROM Case GROUP BY Type ORDER BY Status", 33, 1, 46, "Ordered field must be grouped or aggregated: Status")),
        (Rest, "SELECT COUNT(Id) FROM Account GROUP BY CreatedDate", INVALID_FIELD, at_window("COUNT(Id) FROM Account GROUP BY CreatedDate", 32, 1, 40, "field 'CreatedDate' can not be grouped in a query call")),
        (Rest, "SELECT COUNT(Id) FROM Account GROUP BY Tags__c", INVALID_FIELD, at_window("COUNT(Id) FROM Account GROUP BY Tags__c", 32, 1, 40, "field 'Tags__c' can not be grouped in a query call")),
        (Rest, "SELECT COUNT(Id) FROM Account GROUP BY COUNT(Id)", MALFORMED, at_window("COUNT(Id) FROM Account GROUP BY COUNT(Id)", 32, 1, 40, "Grouped field should not be aggregated: COUNT(Id)")),
        (Rest, "SELECT SUM(Name) FROM Account", MALFORMED, at("SELECT SUM(Name) FROM Account", 12, "field Name does not support aggregate operator SUM")),
        (Rest, "SELECT AVG(CreatedDate) FROM Account", MALFORMED, at("SELECT AVG(CreatedDate) FROM Account", 12, "field CreatedDate does not support aggregate operator AVG")),
        (Rest, "SELECT MAX(IsDeleted) FROM Account", MALFORMED, at("SELECT MAX(IsDeleted) FROM Account", 12, "field IsDeleted does not support aggregate operator MAX")),
        (Rest, "SELECT COUNT(Description) FROM Account", MALFORMED, at("SELECT COUNT(Description) FROM Account", 14, "field Description does not support aggregate operator COUNT")),
        (Rest, "SELECT COUNT_DISTINCT(Tags__c) FROM Account", MALFORMED, at("SELECT COUNT_DISTINCT(Tags__c) FROM Account", 23, "field Tags__c does not support aggregate operator COUNT_DISTINCT")),
        (Rest, "SELECT SUM() FROM Account", MALFORMED, at("SELECT SUM() FROM Account", 12, &unexpected(")"))),
        (Rest, "SELECT CALENDAR_YEAR() FROM Account", MALFORMED, at("SELECT CALENDAR_YEAR() FROM Account", 22, &unexpected(")"))),
        (Rest, "SELECT CALENDAR_YEAR(Name) c FROM Account GROUP BY CALENDAR_YEAR(Name)", MALFORMED, at_window("SELECT CALENDAR_YEAR(Name) c FROM Account GROUP BY CALENDAR_YEAR", 21, 1, 22, "field Name does not support date function CALENDAR_YEAR")),
        (Rest, "SELECT HOUR_IN_DAY(CloseDate) h FROM Opportunity", MALFORMED, at("SELECT HOUR_IN_DAY(CloseDate) h FROM Opportunity", 20, "field CloseDate does not support date function HOUR_IN_DAY")),
        (Both, "SELECT Id FROM Opportunity WHERE DAY_ONLY(CloseDate) = TODAY", MALFORMED, at_window("FROM Opportunity WHERE DAY_ONLY(CloseDate) = TODAY", 32, 1, 43, "field CloseDate does not support date function DAY_ONLY")),
        (Both, "SELECT FOO(Name) FROM Account", MALFORMED, at("SELECT FOO(Name) FROM Account", 8, &unexpected("FOO"))),
        (Both, "SELECT toLabel(Industry) FROM Account", MALFORMED, at("SELECT toLabel(Industry) FROM Account", 8, "TOLABEL() is not supported by this server")),
        (Rest, "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry HAVING Name = 'x'", MALFORMED, at_window("Account GROUP BY Industry HAVING Name = 'x'", 33, 1, 66, "Field must be grouped or aggregated: Name")),
        (Rest, "SELECT Id FROM Account OFFSET 2001", "NUMBER_OUTSIDE_VALID_RANGE", "Maximum SOQL offset allowed is 2000".to_owned()),
        (Rest, "SELECT FIELDS(ALL) FROM Account", MALFORMED, "The SOQL FIELDS function must have a LIMIT of at most 200".to_owned()),
        (Both, "SELECT FIELDS(ALL) FROM Account LIMIT 201", MALFORMED, "The SOQL FIELDS function must have a LIMIT of at most 200".to_owned()),
        (Both, "SELECT FIELDS(CUSTOM) FROM Account", MALFORMED, "The SOQL FIELDS function must have a LIMIT of at most 200".to_owned()),
        (Rest, "SELECT Id, (SELECT Id FROM Contact) FROM Account", "INVALID_TYPE", at("SELECT Id, (SELECT Id FROM Contact) FROM Account", 28, "Didn't understand relationship 'Contact' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.")),
        (Rest, "SELECT TYPEOF Owner WHEN User THEN Name END FROM Account", MALFORMED, at_window("SELECT TYPEOF Owner WHEN User THEN Name END FROM", 14, 1, 15, "TYPEOF needs a polymorphic relationship: 'Owner' on entity 'Account' can only reference User")),
        // ---- Semi-joins ----
        (Both, "SELECT Id FROM Account WHERE Name = 'a' OR Id IN (SELECT AccountId FROM Contact)", MALFORMED, at_window("Account WHERE Name = 'a' OR Id IN (SELECT AccountId FROM Contact)", 34, 1, 50, "Semi join sub-selects are not allowed with the 'OR' operator")),
        (Both, "SELECT Id FROM Account WHERE NOT Id IN (SELECT AccountId FROM Contact)", MALFORMED, at_window(" FROM Account WHERE NOT Id IN (SELECT AccountId FROM Contact)", 30, 1, 40, "Semi join sub-selects are only allowed at the top level WHERE expressions and not in nested WHERE expressions.")),
        (Both, "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE Id IN (SELECT ContactId FROM Case))", MALFORMED, at_window("AccountId FROM Contact WHERE Id IN (SELECT ContactId FROM Case))", 35, 1, 79, "Nesting of semi join sub-selects is not supported")),
        (Both, "SELECT Id FROM Account WHERE Id IN (SELECT AccountId, Id FROM Contact)", MALFORMED, at_window("WHERE Id IN (SELECT AccountId, Id FROM Contact)", 31, 1, 55, "A semi join sub-select can only select one Id or reference field")),
        (Both, "SELECT Id FROM Account WHERE Id IN (SELECT LastName FROM Contact)", MALFORMED, at_window("FROM Account WHERE Id IN (SELECT LastName FROM Contact)", 33, 1, 44, "The selected field 'LastName' in a semi join sub-select must be an Id or a reference field")),
        (Both, "SELECT Id FROM User WHERE Id IN (SELECT Account.Owner.ManagerId FROM Contact)", MALFORMED, at_window("FROM User WHERE Id IN (SELECT Account.Owner.ManagerId FROM Contact", 30, 1, 41, "inner select field cannot have more than one level of relationships")),
        (Both, "SELECT Id FROM Account WHERE Name IN (SELECT AccountId FROM Contact)", MALFORMED, at_window("SELECT Id FROM Account WHERE Name IN (SELECT AccountId FROM Contact", 29, 1, 30, "The left operand of a semi join must be an Id or a reference field")),
        // ---- Bulk query jobs ----
        (Bulk, "SELECT COUNT() FROM Account", API_ERROR, BULK_AGGREGATE.to_owned()),
        (Bulk, "SELECT COUNT(Id) FROM Account", API_ERROR, BULK_AGGREGATE.to_owned()),
        (Bulk, "SELECT MAX(NumberOfEmployees) max_emps FROM Account", API_ERROR, BULK_AGGREGATE.to_owned()),
        (Bulk, "SELECT Industry FROM Account GROUP BY Industry", API_ERROR, BULK_AGGREGATE.to_owned()),
        (Bulk, "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry HAVING COUNT(Id) > 1", API_ERROR, BULK_AGGREGATE.to_owned()),
        (Bulk, "SELECT CALENDAR_YEAR(CreatedDate) FROM Account GROUP BY CALENDAR_YEAR(CreatedDate)", API_ERROR, BULK_AGGREGATE.to_owned()),
        (Bulk, "SELECT CALENDAR_YEAR(CreatedDate) FROM Account", API_ERROR, BULK_AGGREGATE.to_owned()),
        (Bulk, "SELECT Id FROM Account ORDER BY COUNT(Id)", API_ERROR, BULK_AGGREGATE.to_owned()),
        (Bulk, "SELECT Name, COUNT(Id) FROM Account", API_ERROR, BULK_AGGREGATE.to_owned()),
        (Bulk, "SELECT Id, (SELECT Id FROM Contacts) FROM Account", API_ERROR, BULK_AGGREGATE.to_owned()),
        (Bulk, "SELECT Name, (SELECT LastName, Email FROM Contacts WHERE Email != NULL) FROM Account", API_ERROR, BULK_AGGREGATE.to_owned()),
        (Bulk, "SELECT Id FROM Account LIMIT 10 OFFSET 5", API_ERROR, "OFFSET not supported in Bulk Query".to_owned()),
        (Bulk, "SELECT Id FROM Account OFFSET 5", API_ERROR, "OFFSET not supported in Bulk Query".to_owned()),
        (Bulk, "SELECT TYPEOF Owner WHEN User THEN Name END FROM Account", API_ERROR, "TYPEOF not supported in Bulk Query".to_owned()),
        (Bulk, "SELECT FIELDS(ALL) FROM Account LIMIT 200", API_ERROR, "FIELDS(ALL) not supported in Bulk Query".to_owned()),
        (Bulk, "SELECT FIELDS(CUSTOM) FROM Account LIMIT 10", API_ERROR, "FIELDS(CUSTOM) not supported in Bulk Query".to_owned()),
        (Bulk, "SELECT FIELDS(ALL) FROM Account", MALFORMED, "The SOQL FIELDS function must have a LIMIT of at most 200".to_owned()),
        (Bulk, "SELECT BillingAddress FROM Account", API_ERROR, "Selecting compound data not supported in Bulk Query".to_owned()),
        (Bulk, "SELECT Id, Account.BillingAddress FROM Contact", API_ERROR, "Selecting compound data not supported in Bulk Query".to_owned()),
        (Bulk, "SELECT Foo, COUNT(Id) FROM Account", INVALID_FIELD, at("SELECT Foo, COUNT(Id) FROM Account", 8, &no_such_column("Foo", "Account"))),
        (Bulk, "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact) OFFSET 1", API_ERROR, "OFFSET not supported in Bulk Query".to_owned()),
        // ---- Multi-line statements: rows count lines, only the offending line is echoed ----
        (Both, "SELECT Id,\n       Foo\nFROM Account", INVALID_FIELD, at_window("       Foo", 7, 2, 8, &no_such_column("Foo", "Account"))),
        (Both, "SELECT Id\nFROM Account\nWHERE Name = 'a'\n  AND Type = 'b' OR Industry = 'c'", MALFORMED, at_window("  AND Type = 'b' OR Industry = 'c'", 17, 4, 18, &unexpected("OR"))),
        (Both, "SELECT Id\r\nFROM Nope", INVALID_TYPE, at_window("FROM Nope", 5, 2, 6, &bad_object("Nope"))),
        (Both, "SELECT Id\nFROM Account\nWHERE NumberOfEmployees = 'many'", INVALID_FIELD, at_window("WHERE NumberOfEmployees = 'many'", 6, 3, 7, &criterion("NumberOfEmployees", "int", false))),
        (Both, "SELECT Id\nFROM Account\nWHERE Name = 'a'\nLIMIT", MALFORMED, at_window("LIMIT", 5, 4, 6, &unexpected("<EOF>"))),
    ]
}

#[test]
fn refusals_have_salesforce_codes_and_messages() {
    let cases = cases();
    assert!(cases.len() >= 150, "{}", cases.len());
    let mut failures = Vec::new();
    for (api, soql, code, message) in &cases {
        let modes: &[Mode] = match api {
            In::Both => &[Mode::BulkQuery, Mode::Rest],
            In::Bulk => &[Mode::BulkQuery],
            In::Rest => &[Mode::Rest],
        };
        for mode in modes {
            let e = refusal(soql, *mode);
            if (e.code, e.message.as_str()) != (*code, message.as_str()) {
                failures.push(format!(
                    "{mode:?}: {soql}\n  got:  {} {:?}\n  want: {code} {message:?}",
                    e.code, e.message
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Long lines are echoed as a window of about 30 characters on each side of the error, widened to whole
/// tokens, as Salesforce does.
#[test]
fn long_lines_are_windowed() {
    let soql = "SELECT Id, Name, Industry, Type, Phone, Website, NumberOfEmployees, Bogus__c, AnnualRevenue, Rating, Site FROM Account";
    let e = refusal(soql, Mode::BulkQuery);
    assert_eq!(
        e.message,
        at_window(
            ", Website, NumberOfEmployees, Bogus__c, AnnualRevenue, Rating",
            30,
            1,
            col(soql, "Bogus__c"),
            &no_such_column("Bogus__c", "Account")
        )
    );
}
