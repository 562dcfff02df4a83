//! Statements that compile, with their bound form pinned by the canonical rendering.
//!
//! `BULK` statements must compile identically in both modes; `REST_ONLY` statements compile for the REST
//! query and are refused by Bulk query jobs (their refusals are in `refused.rs`).
//!
//! This file is long because it is a table of accepted statements with their canonical bound form.

mod common;

use bulkforce_soql::Mode;
use common::render;

/// (statement, canonical bound form) — accepted by Bulk query jobs and by REST.
const BULK: &[(&str, &str)] = &[
    // Fields, objects and case-insensitivity.
    ("SELECT Id FROM Account", "SELECT Id FROM Account"),
    (
        "select id, name from account",
        "SELECT Id, Name FROM Account",
    ),
    (
        "SeLeCt NAME, industry FrOm ACCOUNT",
        "SELECT Name, Industry FROM Account",
    ),
    (
        "SELECT Id, FirstName, LastName, Email FROM Contact",
        "SELECT Id, FirstName, LastName, Email FROM Contact",
    ),
    ("SELECT Name FROM Contact", "SELECT Name FROM Contact"),
    (
        "SELECT Id, Company, Status FROM Lead",
        "SELECT Id, Company, Status FROM Lead",
    ),
    (
        "SELECT CaseNumber, Subject, IsEscalated FROM Case",
        "SELECT CaseNumber, Subject, IsEscalated FROM Case",
    ),
    (
        "SELECT Username, IsActive FROM User",
        "SELECT Username, IsActive FROM User",
    ),
    (
        "SELECT Name, Amount, CloseDate, StageName FROM Opportunity",
        "SELECT Name, Amount, CloseDate, StageName FROM Opportunity",
    ),
    (
        "SELECT Id, Tags__c, score__c, TIER__C FROM Account",
        "SELECT Id, Tags__c, Score__c, Tier__c FROM Account",
    ),
    (
        "SELECT Id, Budget__c, due__c FROM project__c",
        "SELECT Id, Budget__c, Due__c FROM Project__c",
    ),
    (
        "SELECT Description FROM Account",
        "SELECT Description FROM Account",
    ),
    (
        "SELECT Id,\n  Name\nFROM Account\nWHERE Name = 'x'",
        "SELECT Id, Name FROM Account WHERE (Name = 'x')",
    ),
    ("  SELECT\tId\r\n FROM\tAccount  ", "SELECT Id FROM Account"),
    // Child-to-parent paths, one to five hops.
    (
        "SELECT Account.Name FROM Contact",
        "SELECT Account.Name FROM Contact",
    ),
    (
        "SELECT Owner.Name FROM Account",
        "SELECT Owner.Name FROM Account",
    ),
    (
        "SELECT account.owner.name FROM contact",
        "SELECT Account.Owner.Name FROM Contact",
    ),
    (
        "SELECT Account.Owner.Manager.Name FROM Contact",
        "SELECT Account.Owner.Manager.Name FROM Contact",
    ),
    (
        "SELECT Account.Owner.Manager.Manager.Name FROM Contact",
        "SELECT Account.Owner.Manager.Manager.Name FROM Contact",
    ),
    (
        "SELECT Account.Owner.Manager.Manager.Manager.Name FROM Contact",
        "SELECT Account.Owner.Manager.Manager.Manager.Name FROM Contact",
    ),
    (
        "SELECT Parent.Parent.Parent.Parent.Parent.Name FROM Account",
        "SELECT Parent.Parent.Parent.Parent.Parent.Name FROM Account",
    ),
    (
        "SELECT ReportsTo.Account.Name FROM Contact",
        "SELECT ReportsTo.Account.Name FROM Contact",
    ),
    (
        "SELECT CreatedBy.Email, LastModifiedBy.Alias FROM Case",
        "SELECT CreatedBy.Email, LastModifiedBy.Alias FROM Case",
    ),
    (
        "SELECT Contact.Account.Industry FROM Case",
        "SELECT Contact.Account.Industry FROM Case",
    ),
    (
        "SELECT ConvertedAccount.Name, ConvertedOpportunity.Amount FROM Lead",
        "SELECT ConvertedAccount.Name, ConvertedOpportunity.Amount FROM Lead",
    ),
    (
        "SELECT MasterRecord.Name FROM Account",
        "SELECT MasterRecord.Name FROM Account",
    ),
    (
        "SELECT Account__r.Name FROM Project__c",
        "SELECT Account__r.Name FROM Project__c",
    ),
    (
        "SELECT account__R.owner.email FROM project__c",
        "SELECT Account__r.Owner.Email FROM Project__c",
    ),
    // A polymorphic lookup reaches the Name object (its fields as the schema spells them); one whose other
    // targets the schema lacks is an ordinary lookup to the one it knows.
    (
        "SELECT partner__r.type, Partner__r.name FROM Account",
        "SELECT Partner__r.Type, Partner__r.Name FROM Account",
    ),
    (
        "SELECT Assignee__r.Username FROM Ticket__c",
        "SELECT Assignee__r.Username FROM Ticket__c",
    ),
    // The object name or the FROM alias may qualify a path.
    (
        "SELECT Account.Name FROM Account",
        "SELECT Name FROM Account",
    ),
    (
        "SELECT Contact.Account.Name FROM Contact",
        "SELECT Account.Name FROM Contact",
    ),
    (
        "SELECT Contact.LastName FROM Case",
        "SELECT Contact.LastName FROM Case",
    ),
    (
        "SELECT a.Name, a.Owner.Name FROM Account a WHERE a.Industry = 'Energy'",
        "SELECT Name, Owner.Name FROM Account WHERE (Industry = 'Energy')",
    ),
    (
        "SELECT c.Account.Name FROM Contact c ORDER BY c.LastName",
        "SELECT Account.Name FROM Contact ORDER BY LastName ASC NULLS FIRST",
    ),
    ("SELECT Id FROM Account acct", "SELECT Id FROM Account"),
    // FIELDS(STANDARD) mixed with fields (a custom object can have record types: RecordTypeId).
    (
        "SELECT Budget__c, FIELDS(STANDARD) FROM Project__c",
        "SELECT Budget__c, Id, OwnerId, IsDeleted, Name, CreatedDate, CreatedById, LastModifiedDate, LastModifiedById, SystemModstamp, RecordTypeId FROM Project__c",
    ),
    // Comparison operators on text.
    (
        "SELECT Id FROM Account WHERE Name = 'Acme'",
        "SELECT Id FROM Account WHERE (Name = 'Acme')",
    ),
    (
        "SELECT Id FROM Account WHERE Name != 'Acme'",
        "SELECT Id FROM Account WHERE (Name != 'Acme')",
    ),
    (
        "SELECT Id FROM Account WHERE Name <> 'Acme'",
        "SELECT Id FROM Account WHERE (Name != 'Acme')",
    ),
    (
        "SELECT Id FROM Account WHERE Name < 'M'",
        "SELECT Id FROM Account WHERE (Name < 'M')",
    ),
    (
        "SELECT Id FROM Account WHERE Name <= 'M'",
        "SELECT Id FROM Account WHERE (Name <= 'M')",
    ),
    (
        "SELECT Id FROM Account WHERE Name > 'M'",
        "SELECT Id FROM Account WHERE (Name > 'M')",
    ),
    (
        "SELECT Id FROM Account WHERE Name >= 'M'",
        "SELECT Id FROM Account WHERE (Name >= 'M')",
    ),
    (
        "SELECT Id FROM Account WHERE Name='Acme'",
        "SELECT Id FROM Account WHERE (Name = 'Acme')",
    ),
    (
        "SELECT Id FROM Account WHERE Name = ''",
        "SELECT Id FROM Account WHERE (Name = '')",
    ),
    (
        "SELECT Id FROM Account WHERE Name = NULL",
        "SELECT Id FROM Account WHERE (Name = NULL)",
    ),
    (
        "SELECT Id FROM Account WHERE Name != null",
        "SELECT Id FROM Account WHERE (Name != NULL)",
    ),
    (
        "SELECT Id FROM Account WHERE Industry = 'Energy'",
        "SELECT Id FROM Account WHERE (Industry = 'Energy')",
    ),
    (
        "SELECT Id FROM Account WHERE Website = 'x.com' AND Phone = '555'",
        "SELECT Id FROM Account WHERE ((Website = 'x.com') AND (Phone = '555'))",
    ),
    (
        "SELECT Id FROM Account WHERE BillingStreet = '1 Main St'",
        "SELECT Id FROM Account WHERE (BillingStreet = '1 Main St')",
    ),
    (
        "SELECT Id FROM Contact WHERE Email = 'a@b.co'",
        "SELECT Id FROM Contact WHERE (Email = 'a@b.co')",
    ),
    (
        "SELECT Id FROM Account WHERE Tags__c = 'a;b'",
        "SELECT Id FROM Account WHERE (Tags__c = 'a;b')",
    ),
    (
        "SELECT Id FROM Account WHERE Tags__c != NULL",
        "SELECT Id FROM Account WHERE (Tags__c != NULL)",
    ),
    (
        "SELECT Id FROM Account WHERE Name = 'Beispielaccount für Ansprüche'",
        "SELECT Id FROM Account WHERE (Name = 'Beispielaccount für Ansprüche')",
    ),
    // String escapes.
    (
        r"SELECT Id FROM Account WHERE Name = 'O\'Brien'",
        r"SELECT Id FROM Account WHERE (Name = 'O\'Brien')",
    ),
    (
        r#"SELECT Id FROM Account WHERE Name = 'say \"hi\"'"#,
        r#"SELECT Id FROM Account WHERE (Name = 'say "hi"')"#,
    ),
    (
        r"SELECT Id FROM Account WHERE Name = 'a\\b'",
        r"SELECT Id FROM Account WHERE (Name = 'a\b')",
    ),
    (
        r"SELECT Id FROM Account WHERE Name = 'x\ny\rz'",
        r"SELECT Id FROM Account WHERE (Name = 'x\ny\rz')",
    ),
    (
        r"SELECT Id FROM Account WHERE Name = 'x\N\R\T'",
        r"SELECT Id FROM Account WHERE (Name = 'x\n\r\t')",
    ),
    (
        r"SELECT Id FROM Account WHERE Name = 'tab\there'",
        r"SELECT Id FROM Account WHERE (Name = 'tab\there')",
    ),
    (
        r"SELECT Id FROM Account WHERE Name = 'b\bf\f'",
        r"SELECT Id FROM Account WHERE (Name = 'b\bf\f')",
    ),
    (
        r"SELECT Id FROM Account WHERE Name = '100\%'",
        "SELECT Id FROM Account WHERE (Name = '100%')",
    ),
    (
        r"SELECT Id FROM Account WHERE Name = 'a\_b'",
        "SELECT Id FROM Account WHERE (Name = 'a_b')",
    ),
    (
        "SELECT Id FROM Account WHERE Name = 'multi\nline'",
        r"SELECT Id FROM Account WHERE (Name = 'multi\nline')",
    ),
    // LIKE keeps its pattern (and its \% \_ \\ escapes) for the store.
    (
        "SELECT Id FROM Account WHERE Name LIKE 'a%'",
        "SELECT Id FROM Account WHERE (Name LIKE 'a%')",
    ),
    (
        "SELECT Id FROM Account WHERE Name like '_b%'",
        "SELECT Id FROM Account WHERE (Name LIKE '_b%')",
    ),
    (
        "SELECT Id FROM Account WHERE Name LIKE '%'",
        "SELECT Id FROM Account WHERE (Name LIKE '%')",
    ),
    (
        r"SELECT Id FROM Account WHERE Name LIKE '100\%'",
        r"SELECT Id FROM Account WHERE (Name LIKE '100\%')",
    ),
    (
        r"SELECT Id FROM Account WHERE Name LIKE 'a\_b%'",
        r"SELECT Id FROM Account WHERE (Name LIKE 'a\_b%')",
    ),
    (
        r"SELECT Id FROM Account WHERE Name LIKE 'a\\b'",
        r"SELECT Id FROM Account WHERE (Name LIKE 'a\\b')",
    ),
    (
        r"SELECT Id FROM Account WHERE Name LIKE 'O\'B%'",
        r"SELECT Id FROM Account WHERE (Name LIKE 'O\'B%')",
    ),
    (
        "SELECT Id FROM Account WHERE Industry LIKE 'Ener%'",
        "SELECT Id FROM Account WHERE (Industry LIKE 'Ener%')",
    ),
    (
        "SELECT Id FROM Account WHERE BillingStreet LIKE '%Main%'",
        "SELECT Id FROM Account WHERE (BillingStreet LIKE '%Main%')",
    ),
    (
        "SELECT Id FROM Contact WHERE Email LIKE '%@example.com'",
        "SELECT Id FROM Contact WHERE (Email LIKE '%@example.com')",
    ),
    (
        "SELECT Id FROM Contact WHERE Account.Name LIKE 'A%'",
        "SELECT Id FROM Contact WHERE (Account.Name LIKE 'A%')",
    ),
    // Numbers: integer fields take integral values, double/currency/percent take any.
    (
        "SELECT Id FROM Account WHERE NumberOfEmployees = 100",
        "SELECT Id FROM Account WHERE (NumberOfEmployees = 100)",
    ),
    (
        "SELECT Id FROM Account WHERE NumberOfEmployees > -5",
        "SELECT Id FROM Account WHERE (NumberOfEmployees > -5)",
    ),
    (
        "SELECT Id FROM Account WHERE NumberOfEmployees >= 1e3",
        "SELECT Id FROM Account WHERE (NumberOfEmployees >= 1000)",
    ),
    (
        "SELECT Id FROM Account WHERE NumberOfEmployees < 2.0",
        "SELECT Id FROM Account WHERE (NumberOfEmployees < 2)",
    ),
    (
        "SELECT Id FROM Account WHERE NumberOfEmployees = +7",
        "SELECT Id FROM Account WHERE (NumberOfEmployees = 7)",
    ),
    (
        "SELECT Id FROM Account WHERE NumberOfEmployees = NULL",
        "SELECT Id FROM Account WHERE (NumberOfEmployees = NULL)",
    ),
    (
        "SELECT Id FROM Account WHERE Visits__c = 9000000000",
        "SELECT Id FROM Account WHERE (Visits__c = 9000000000)",
    ),
    (
        "SELECT Id FROM Account WHERE AnnualRevenue > 1000000",
        "SELECT Id FROM Account WHERE (AnnualRevenue > 1000000.0)",
    ),
    (
        "SELECT Id FROM Account WHERE AnnualRevenue < 1.5E7",
        "SELECT Id FROM Account WHERE (AnnualRevenue < 15000000.0)",
    ),
    (
        "SELECT Id FROM Account WHERE AnnualRevenue >= -2.25",
        "SELECT Id FROM Account WHERE (AnnualRevenue >= -2.25)",
    ),
    (
        "SELECT Id FROM Account WHERE AnnualRevenue <= 2e-3",
        "SELECT Id FROM Account WHERE (AnnualRevenue <= 0.002)",
    ),
    (
        "SELECT Id FROM Account WHERE Score__c != 0.5",
        "SELECT Id FROM Account WHERE (Score__c != 0.5)",
    ),
    (
        "SELECT Id FROM Account WHERE BillingLatitude > 45.5",
        "SELECT Id FROM Account WHERE (BillingLatitude > 45.5)",
    ),
    (
        "SELECT Id FROM Opportunity WHERE Probability = 50",
        "SELECT Id FROM Opportunity WHERE (Probability = 50.0)",
    ),
    (
        "SELECT Id FROM Opportunity WHERE Amount = 0",
        "SELECT Id FROM Opportunity WHERE (Amount = 0.0)",
    ),
    // Booleans.
    (
        "SELECT Id FROM Account WHERE IsDeleted = TRUE",
        "SELECT Id FROM Account WHERE (IsDeleted = TRUE)",
    ),
    (
        "SELECT Id FROM Account WHERE isdeleted = false",
        "SELECT Id FROM Account WHERE (IsDeleted = FALSE)",
    ),
    (
        "SELECT Id FROM Account WHERE IsDeleted != True",
        "SELECT Id FROM Account WHERE (IsDeleted != TRUE)",
    ),
    (
        "SELECT Id FROM Contact WHERE DoNotCall = false AND HasOptedOutOfEmail = true",
        "SELECT Id FROM Contact WHERE ((DoNotCall = FALSE) AND (HasOptedOutOfEmail = TRUE))",
    ),
    // Dates and dateTimes.
    (
        "SELECT Id FROM Opportunity WHERE CloseDate = 2024-03-10",
        "SELECT Id FROM Opportunity WHERE (CloseDate = 2024-03-10)",
    ),
    (
        "SELECT Id FROM Opportunity WHERE CloseDate <= 2024-12-31",
        "SELECT Id FROM Opportunity WHERE (CloseDate <= 2024-12-31)",
    ),
    (
        "SELECT Id FROM Contact WHERE Birthdate < 2000-01-01",
        "SELECT Id FROM Contact WHERE (Birthdate < 2000-01-01)",
    ),
    (
        "SELECT Id FROM Account WHERE CreatedDate > 2024-03-10T10:05:00Z",
        "SELECT Id FROM Account WHERE (CreatedDate > 2024-03-10T10:05:00.000Z)",
    ),
    (
        "SELECT Id FROM Account WHERE CreatedDate >= 2024-03-10T10:05:00.000Z",
        "SELECT Id FROM Account WHERE (CreatedDate >= 2024-03-10T10:05:00.000Z)",
    ),
    (
        "SELECT Id FROM Account WHERE CreatedDate < 2024-03-10T10:05:00+05:30",
        "SELECT Id FROM Account WHERE (CreatedDate < 2024-03-10T04:35:00.000Z)",
    ),
    (
        "SELECT Id FROM Account WHERE CreatedDate < 2024-03-10T10:05:00.123-08:00",
        "SELECT Id FROM Account WHERE (CreatedDate < 2024-03-10T18:05:00.123Z)",
    ),
    (
        "SELECT Id FROM Account WHERE SystemModstamp = 2024-03-10t10:05:00z",
        "SELECT Id FROM Account WHERE (SystemModstamp = 2024-03-10T10:05:00.000Z)",
    ),
    (
        "SELECT Id FROM Account WHERE LastActivityDate = NULL",
        "SELECT Id FROM Account WHERE (LastActivityDate = NULL)",
    ),
    (
        "SELECT Id FROM Account WHERE CreatedDate = TODAY",
        "SELECT Id FROM Account WHERE (CreatedDate = [2026-11-29T00:00:00.000Z, 2026-11-30T00:00:00.000Z))",
    ),
    (
        "SELECT Id FROM Opportunity WHERE CloseDate = last_n_days:30",
        "SELECT Id FROM Opportunity WHERE (CloseDate = [2026-10-30, 2026-11-30))",
    ),
    (
        "SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_DAYS : 30",
        "SELECT Id FROM Opportunity WHERE (CloseDate = [2026-10-30, 2026-11-30))",
    ),
    // Ids and references: 15-character ids become 18; 18-character ids get their canonical case.
    (
        "SELECT Id FROM Account WHERE Id = '0010g0000000007'",
        "SELECT Id FROM Account WHERE (Id = '0010g0000000007AAA')",
    ),
    (
        "SELECT Id FROM Account WHERE Id = '0010g0000000007AAA'",
        "SELECT Id FROM Account WHERE (Id = '0010g0000000007AAA')",
    ),
    (
        "SELECT Id FROM Contact WHERE Id = '0030g00000003d7aai'",
        "SELECT Id FROM Contact WHERE (Id = '0030g00000003D7AAI')",
    ),
    (
        "SELECT Id FROM Contact WHERE AccountId = '0010g0000000007'",
        "SELECT Id FROM Contact WHERE (AccountId = '0010g0000000007AAA')",
    ),
    (
        "SELECT Id FROM Contact WHERE AccountId != NULL",
        "SELECT Id FROM Contact WHERE (AccountId != NULL)",
    ),
    (
        "SELECT Id FROM Contact WHERE AccountId = ''",
        "SELECT Id FROM Contact WHERE (AccountId = '')",
    ),
    (
        "SELECT Id FROM Account WHERE Id > '0010g0000000007'",
        "SELECT Id FROM Account WHERE (Id > '0010g0000000007AAA')",
    ),
    (
        "SELECT Id FROM Account WHERE OwnerId IN ('0050g000000001b', '0050g000000001bAAA')",
        "SELECT Id FROM Account WHERE (OwnerId IN ('0050g000000001bAAA', '0050g000000001bAAA'))",
    ),
    // IN / NOT IN.
    (
        "SELECT Id FROM Account WHERE Industry IN ('Energy', 'Banking')",
        "SELECT Id FROM Account WHERE (Industry IN ('Energy', 'Banking'))",
    ),
    (
        "SELECT Id FROM Account WHERE Industry NOT IN ('Energy')",
        "SELECT Id FROM Account WHERE (Industry NOT IN ('Energy'))",
    ),
    (
        "SELECT Id FROM Account WHERE Industry not in ('Energy', NULL)",
        "SELECT Id FROM Account WHERE (Industry NOT IN ('Energy', NULL))",
    ),
    (
        "SELECT Id FROM Account WHERE NumberOfEmployees IN (1, 2, 3)",
        "SELECT Id FROM Account WHERE (NumberOfEmployees IN (1, 2, 3))",
    ),
    (
        "SELECT Id FROM Account WHERE AnnualRevenue IN (1, 2.5)",
        "SELECT Id FROM Account WHERE (AnnualRevenue IN (1.0, 2.5))",
    ),
    (
        "SELECT Id FROM Account WHERE IsDeleted IN (TRUE)",
        "SELECT Id FROM Account WHERE (IsDeleted IN (TRUE))",
    ),
    (
        "SELECT Id FROM Opportunity WHERE CloseDate IN (2024-01-01, TODAY)",
        "SELECT Id FROM Opportunity WHERE (CloseDate IN (2024-01-01, [2026-11-29, 2026-11-30)))",
    ),
    (
        "SELECT Id FROM Account WHERE CreatedDate IN (2024-01-01T00:00:00Z, YESTERDAY)",
        "SELECT Id FROM Account WHERE (CreatedDate IN (2024-01-01T00:00:00.000Z, [2026-11-28T00:00:00.000Z, 2026-11-29T00:00:00.000Z)))",
    ),
    (
        "SELECT Id FROM Contact WHERE Account.Industry IN ('Energy')",
        "SELECT Id FROM Contact WHERE (Account.Industry IN ('Energy'))",
    ),
    // INCLUDES / EXCLUDES on multi-select picklists: each value is a ;-separated set.
    (
        "SELECT Id FROM Account WHERE Tags__c INCLUDES ('a;b', 'c')",
        "SELECT Id FROM Account WHERE (Tags__c INCLUDES ('a;b', 'c'))",
    ),
    (
        "SELECT Id FROM Account WHERE Tags__c EXCLUDES ('a')",
        "SELECT Id FROM Account WHERE (Tags__c EXCLUDES ('a'))",
    ),
    (
        "SELECT Id FROM Account WHERE tags__c includes ('a ; b')",
        "SELECT Id FROM Account WHERE (Tags__c INCLUDES ('a;b'))",
    ),
    (
        "SELECT Id FROM Account WHERE Tags__c INCLUDES ('x') AND Tags__c EXCLUDES ('y;z')",
        "SELECT Id FROM Account WHERE ((Tags__c INCLUDES ('x')) AND (Tags__c EXCLUDES ('y;z')))",
    ),
    // Semi-joins and anti-joins.
    (
        "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact)",
        "SELECT Id FROM Account WHERE (Id IN (SELECT AccountId FROM Contact))",
    ),
    (
        "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName LIKE 'S%')",
        "SELECT Id FROM Account WHERE (Id IN (SELECT AccountId FROM Contact WHERE (LastName LIKE 'S%')))",
    ),
    (
        "SELECT Id FROM Account WHERE Id NOT IN (SELECT AccountId FROM Opportunity WHERE IsWon = TRUE)",
        "SELECT Id FROM Account WHERE (Id NOT IN (SELECT AccountId FROM Opportunity WHERE (IsWon = TRUE)))",
    ),
    (
        "SELECT Id FROM Contact WHERE AccountId IN (SELECT Id FROM Account WHERE Industry = 'Energy')",
        "SELECT Id FROM Contact WHERE (AccountId IN (SELECT Id FROM Account WHERE (Industry = 'Energy')))",
    ),
    (
        "SELECT Id FROM User WHERE Id IN (SELECT Contact.OwnerId FROM Case)",
        "SELECT Id FROM User WHERE (Id IN (SELECT Contact.OwnerId FROM Case))",
    ),
    (
        "SELECT Id FROM Contact WHERE Account.OwnerId IN (SELECT Id FROM User WHERE IsActive = TRUE)",
        "SELECT Id FROM Contact WHERE (Account.OwnerId IN (SELECT Id FROM User WHERE (IsActive = TRUE)))",
    ),
    (
        "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact) AND Id NOT IN (SELECT AccountId FROM Case)",
        "SELECT Id FROM Account WHERE ((Id IN (SELECT AccountId FROM Contact)) AND (Id NOT IN (SELECT AccountId FROM Case)))",
    ),
    (
        "SELECT Id FROM Account WHERE Name = 'x' AND (Id IN (SELECT AccountId FROM Contact))",
        "SELECT Id FROM Account WHERE ((Name = 'x') AND (Id IN (SELECT AccountId FROM Contact)))",
    ),
    (
        "SELECT Id FROM Account WHERE Id IN (SELECT Account__c FROM Project__c WHERE Budget__c > 10)",
        "SELECT Id FROM Account WHERE (Id IN (SELECT Account__c FROM Project__c WHERE (Budget__c > 10.0)))",
    ),
    (
        "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact ORDER BY LastName LIMIT 5)",
        "SELECT Id FROM Account WHERE (Id IN (SELECT AccountId FROM Contact ORDER BY LastName ASC NULLS FIRST LIMIT 5))",
    ),
    // AND, OR, NOT and parentheses.
    (
        "SELECT Id FROM Account WHERE Name = 'a' AND Industry = 'b'",
        "SELECT Id FROM Account WHERE ((Name = 'a') AND (Industry = 'b'))",
    ),
    (
        "SELECT Id FROM Account WHERE name = 'a' and industry = 'b' and type = 'c'",
        "SELECT Id FROM Account WHERE ((Name = 'a') AND (Industry = 'b') AND (Type = 'c'))",
    ),
    (
        "SELECT Id FROM Account WHERE Name = 'a' OR Name = 'b' OR Name = 'c'",
        "SELECT Id FROM Account WHERE ((Name = 'a') OR (Name = 'b') OR (Name = 'c'))",
    ),
    (
        "SELECT Id FROM Account WHERE (Name = 'a' AND Industry = 'b') OR Type = 'c'",
        "SELECT Id FROM Account WHERE (((Name = 'a') AND (Industry = 'b')) OR (Type = 'c'))",
    ),
    (
        "SELECT Id FROM Account WHERE Name = 'a' AND (Industry = 'b' OR Type = 'c')",
        "SELECT Id FROM Account WHERE ((Name = 'a') AND ((Industry = 'b') OR (Type = 'c')))",
    ),
    (
        "SELECT Id FROM Account WHERE NOT Name = 'a'",
        "SELECT Id FROM Account WHERE (NOT (Name = 'a'))",
    ),
    (
        "SELECT Id FROM Account WHERE NOT (Name = 'a' OR Name = 'b')",
        "SELECT Id FROM Account WHERE (NOT ((Name = 'a') OR (Name = 'b')))",
    ),
    (
        "SELECT Id FROM Account WHERE Name != NULL AND (NOT Name LIKE 'x%')",
        "SELECT Id FROM Account WHERE ((Name != NULL) AND (NOT (Name LIKE 'x%')))",
    ),
    (
        "SELECT Id FROM Account WHERE ((Name = 'a'))",
        "SELECT Id FROM Account WHERE (Name = 'a')",
    ),
    (
        "SELECT Id FROM Account WHERE (NOT (NOT Name = 'a'))",
        "SELECT Id FROM Account WHERE (NOT (NOT (Name = 'a')))",
    ),
    (
        "SELECT Id FROM Account WHERE (Name = 'a' OR Name = 'b') AND (Type = 'c' OR Type = 'd')",
        "SELECT Id FROM Account WHERE (((Name = 'a') OR (Name = 'b')) AND ((Type = 'c') OR (Type = 'd')))",
    ),
    // Date functions in WHERE (allowed in Bulk).
    (
        "SELECT Id FROM Account WHERE CALENDAR_YEAR(CreatedDate) = 2024",
        "SELECT Id FROM Account WHERE (CALENDAR_YEAR(CreatedDate) = 2024)",
    ),
    (
        "SELECT Id FROM Opportunity WHERE CALENDAR_MONTH(CloseDate) = 3",
        "SELECT Id FROM Opportunity WHERE (CALENDAR_MONTH(CloseDate) = 3)",
    ),
    (
        "SELECT Id FROM Opportunity WHERE CALENDAR_QUARTER(CloseDate) IN (1, 2)",
        "SELECT Id FROM Opportunity WHERE (CALENDAR_QUARTER(CloseDate) IN (1, 2))",
    ),
    (
        "SELECT Id FROM Account WHERE DAY_IN_MONTH(CreatedDate) > 15",
        "SELECT Id FROM Account WHERE (DAY_IN_MONTH(CreatedDate) > 15)",
    ),
    (
        "SELECT Id FROM Opportunity WHERE DAY_IN_WEEK(CloseDate) = 1",
        "SELECT Id FROM Opportunity WHERE (DAY_IN_WEEK(CloseDate) = 1)",
    ),
    (
        "SELECT Id FROM Opportunity WHERE DAY_IN_YEAR(CloseDate) <= 100",
        "SELECT Id FROM Opportunity WHERE (DAY_IN_YEAR(CloseDate) <= 100)",
    ),
    (
        "SELECT Id FROM Account WHERE DAY_ONLY(CreatedDate) = 2024-03-10",
        "SELECT Id FROM Account WHERE (DAY_ONLY(CreatedDate) = 2024-03-10)",
    ),
    (
        "SELECT Id FROM Account WHERE DAY_ONLY(CreatedDate) = TODAY",
        "SELECT Id FROM Account WHERE (DAY_ONLY(CreatedDate) = [2026-11-29, 2026-11-30))",
    ),
    (
        "SELECT Id FROM Opportunity WHERE FISCAL_MONTH(CloseDate) = 1",
        "SELECT Id FROM Opportunity WHERE (FISCAL_MONTH(CloseDate) = 1)",
    ),
    (
        "SELECT Id FROM Opportunity WHERE FISCAL_QUARTER(CloseDate) = 2",
        "SELECT Id FROM Opportunity WHERE (FISCAL_QUARTER(CloseDate) = 2)",
    ),
    (
        "SELECT Id FROM Opportunity WHERE FISCAL_YEAR(CloseDate) = 2026",
        "SELECT Id FROM Opportunity WHERE (FISCAL_YEAR(CloseDate) = 2026)",
    ),
    (
        "SELECT Id FROM Account WHERE HOUR_IN_DAY(CreatedDate) >= 9",
        "SELECT Id FROM Account WHERE (HOUR_IN_DAY(CreatedDate) >= 9)",
    ),
    (
        "SELECT Id FROM Opportunity WHERE WEEK_IN_MONTH(CloseDate) = 2",
        "SELECT Id FROM Opportunity WHERE (WEEK_IN_MONTH(CloseDate) = 2)",
    ),
    (
        "SELECT Id FROM Account WHERE WEEK_IN_YEAR(CreatedDate) != 52",
        "SELECT Id FROM Account WHERE (WEEK_IN_YEAR(CreatedDate) != 52)",
    ),
    (
        "SELECT Id FROM Account WHERE calendar_year(createddate) = 2024",
        "SELECT Id FROM Account WHERE (CALENDAR_YEAR(CreatedDate) = 2024)",
    ),
    (
        "SELECT Id FROM Contact WHERE CALENDAR_YEAR(Account.CreatedDate) = 2025",
        "SELECT Id FROM Contact WHERE (CALENDAR_YEAR(Account.CreatedDate) = 2025)",
    ),
    (
        "SELECT Id FROM Account WHERE CALENDAR_YEAR(CreatedDate) = NULL",
        "SELECT Id FROM Account WHERE (CALENDAR_YEAR(CreatedDate) = NULL)",
    ),
    // ORDER BY: ASC puts nulls first and DESC last unless told otherwise; LIMIT.
    (
        "SELECT Id FROM Account ORDER BY Name",
        "SELECT Id FROM Account ORDER BY Name ASC NULLS FIRST",
    ),
    (
        "SELECT Id FROM Account ORDER BY Name ASC",
        "SELECT Id FROM Account ORDER BY Name ASC NULLS FIRST",
    ),
    (
        "SELECT Id FROM Account ORDER BY Name DESC",
        "SELECT Id FROM Account ORDER BY Name DESC NULLS LAST",
    ),
    (
        "SELECT Id FROM Account ORDER BY Name ASC NULLS LAST",
        "SELECT Id FROM Account ORDER BY Name ASC NULLS LAST",
    ),
    (
        "SELECT Id FROM Account ORDER BY Name DESC NULLS FIRST",
        "SELECT Id FROM Account ORDER BY Name DESC NULLS FIRST",
    ),
    (
        "SELECT Id FROM Account ORDER BY Name NULLS LAST",
        "SELECT Id FROM Account ORDER BY Name ASC NULLS LAST",
    ),
    (
        "SELECT Id FROM Account order by name desc nulls last",
        "SELECT Id FROM Account ORDER BY Name DESC NULLS LAST",
    ),
    (
        "SELECT Id FROM Account ORDER BY Industry, Name DESC, CreatedDate ASC NULLS LAST",
        "SELECT Id FROM Account ORDER BY Industry ASC NULLS FIRST, Name DESC NULLS LAST, CreatedDate ASC NULLS LAST",
    ),
    (
        "SELECT Id FROM Contact ORDER BY Account.Name, Account.Owner.Name DESC",
        "SELECT Id FROM Contact ORDER BY Account.Name ASC NULLS FIRST, Account.Owner.Name DESC NULLS LAST",
    ),
    (
        "SELECT Id FROM Opportunity ORDER BY CALENDAR_YEAR(CloseDate)",
        "SELECT Id FROM Opportunity ORDER BY CALENDAR_YEAR(CloseDate) ASC NULLS FIRST",
    ),
    (
        "SELECT Id FROM Account LIMIT 5",
        "SELECT Id FROM Account LIMIT 5",
    ),
    (
        "SELECT Id FROM Lead WHERE IsConverted = FALSE ORDER BY CreatedDate DESC LIMIT 20",
        "SELECT Id FROM Lead WHERE (IsConverted = FALSE) ORDER BY CreatedDate DESC NULLS LAST LIMIT 20",
    ),
    (
        "SELECT Id FROM Case WHERE Status IN ('New', 'Escalated') AND Priority = 'High'",
        "SELECT Id FROM Case WHERE ((Status IN ('New', 'Escalated')) AND (Priority = 'High'))",
    ),
    (
        "SELECT Id FROM Case WHERE ClosedDate = NULL OR IsClosed = FALSE",
        "SELECT Id FROM Case WHERE ((ClosedDate = NULL) OR (IsClosed = FALSE))",
    ),
    (
        "SELECT Id FROM User WHERE Manager.Name LIKE 'A%' ORDER BY Username",
        "SELECT Id FROM User WHERE (Manager.Name LIKE 'A%') ORDER BY Username ASC NULLS FIRST",
    ),
    (
        "SELECT Id FROM Opportunity WHERE Account.Owner.IsActive = TRUE AND Amount > 0",
        "SELECT Id FROM Opportunity WHERE ((Account.Owner.IsActive = TRUE) AND (Amount > 0.0))",
    ),
    (
        "SELECT Id FROM Project__c WHERE Due__c < TOMORROW",
        "SELECT Id FROM Project__c WHERE (Due__c < [2026-11-30, 2026-12-01))",
    ),
    (
        "SELECT Id FROM Account LIMIT 0",
        "SELECT Id FROM Account LIMIT 0",
    ),
    (
        "SELECT Id FROM Account ORDER BY Name LIMIT 50000",
        "SELECT Id FROM Account ORDER BY Name ASC NULLS FIRST LIMIT 50000",
    ),
    // Clauses that change nothing here.
    (
        "SELECT Id FROM Account WITH SECURITY_ENFORCED",
        "SELECT Id FROM Account",
    ),
    (
        "SELECT Id FROM Account WHERE Name = 'x' WITH USER_MODE LIMIT 1",
        "SELECT Id FROM Account WHERE (Name = 'x') LIMIT 1",
    ),
    ("SELECT Id FROM Account FOR VIEW", "SELECT Id FROM Account"),
    (
        "SELECT Id FROM Account USING SCOPE Everything",
        "SELECT Id FROM Account",
    ),
    // Everything together.
    (
        "SELECT Id, Name, Account.Name FROM Contact WHERE Account.Industry = 'Energy' AND CreatedDate = THIS_YEAR ORDER BY Name DESC LIMIT 100",
        "SELECT Id, Name, Account.Name FROM Contact WHERE ((Account.Industry = 'Energy') AND (CreatedDate = [2026-01-01T00:00:00.000Z, 2027-01-01T00:00:00.000Z))) ORDER BY Name DESC NULLS LAST LIMIT 100",
    ),
    (
        "SELECT Account.Owner.Name FROM Contact WHERE Name LIKE 'a%' ORDER BY Name LIMIT 5",
        "SELECT Account.Owner.Name FROM Contact WHERE (Name LIKE 'a%') ORDER BY Name ASC NULLS FIRST LIMIT 5",
    ),
];

/// (statement, canonical bound form) — accepted by the REST query, refused by Bulk query jobs.
const REST_ONLY: &[(&str, &str)] = &[
    (
        "SELECT COUNT() FROM Account",
        "SELECT COUNT() expr0 FROM Account",
    ),
    (
        "select count() from contact where account.industry = 'Energy'",
        "SELECT COUNT() expr0 FROM Contact WHERE (Account.Industry = 'Energy')",
    ),
    (
        "SELECT COUNT(Id) FROM Account",
        "SELECT COUNT(Id) expr0 FROM Account",
    ),
    (
        "SELECT COUNT(Id) total FROM Account",
        "SELECT COUNT(Id) total FROM Account",
    ),
    (
        "SELECT COUNT_DISTINCT(Industry) FROM Account",
        "SELECT COUNT_DISTINCT(Industry) expr0 FROM Account",
    ),
    (
        "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry",
        "SELECT Industry, COUNT(Id) expr0 FROM Account GROUP BY Industry",
    ),
    (
        "SELECT Industry, COUNT(Id) c, SUM(AnnualRevenue), AVG(NumberOfEmployees) FROM Account GROUP BY Industry",
        "SELECT Industry, COUNT(Id) c, SUM(AnnualRevenue) expr0, AVG(NumberOfEmployees) expr1 FROM Account GROUP BY Industry",
    ),
    (
        "SELECT MIN(CreatedDate), MAX(CloseDate), COUNT_DISTINCT(AccountId) FROM Opportunity",
        "SELECT MIN(CreatedDate) expr0, MAX(CloseDate) expr1, COUNT_DISTINCT(AccountId) expr2 FROM Opportunity",
    ),
    (
        "SELECT COUNT(Id) n, COUNT(Name), MAX(CreatedDate) m, MIN(Name) FROM Account",
        "SELECT COUNT(Id) n, COUNT(Name) expr0, MAX(CreatedDate) m, MIN(Name) expr1 FROM Account",
    ),
    (
        "SELECT MAX(NumberOfEmployees) max_emps FROM Account",
        "SELECT MAX(NumberOfEmployees) max_emps FROM Account",
    ),
    (
        "SELECT SUM(Budget__c) FROM Project__c",
        "SELECT SUM(Budget__c) expr0 FROM Project__c",
    ),
    (
        "SELECT AVG(Probability), SUM(Amount) FROM Opportunity",
        "SELECT AVG(Probability) expr0, SUM(Amount) expr1 FROM Opportunity",
    ),
    (
        "SELECT StageName, SUM(Amount) total FROM Opportunity GROUP BY StageName HAVING SUM(Amount) > 1000 ORDER BY SUM(Amount) DESC",
        "SELECT StageName, SUM(Amount) total FROM Opportunity GROUP BY StageName HAVING (SUM(Amount) > 1000.0) ORDER BY SUM(Amount) DESC NULLS LAST",
    ),
    (
        "SELECT LeadSource, COUNT(Id) FROM Lead GROUP BY LeadSource HAVING COUNT(Id) > 5",
        "SELECT LeadSource, COUNT(Id) expr0 FROM Lead GROUP BY LeadSource HAVING (COUNT(Id) > 5)",
    ),
    (
        "SELECT LeadSource, COUNT(Id) FROM Lead GROUP BY LeadSource HAVING LeadSource != NULL AND COUNT(Id) < 10",
        "SELECT LeadSource, COUNT(Id) expr0 FROM Lead GROUP BY LeadSource HAVING ((LeadSource != NULL) AND (COUNT(Id) < 10))",
    ),
    (
        "SELECT Industry, MAX(CreatedDate) FROM Account GROUP BY Industry HAVING MAX(CreatedDate) > LAST_YEAR",
        "SELECT Industry, MAX(CreatedDate) expr0 FROM Account GROUP BY Industry HAVING (MAX(CreatedDate) > [2025-01-01T00:00:00.000Z, 2026-01-01T00:00:00.000Z))",
    ),
    (
        "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry HAVING COUNT(Id) IN (1, 2)",
        "SELECT Industry, COUNT(Id) expr0 FROM Account GROUP BY Industry HAVING (COUNT(Id) IN (1, 2))",
    ),
    (
        "SELECT CALENDAR_YEAR(CreatedDate), COUNT(Id) FROM Account GROUP BY CALENDAR_YEAR(CreatedDate)",
        "SELECT CALENDAR_YEAR(CreatedDate) expr0, COUNT(Id) expr1 FROM Account GROUP BY CALENDAR_YEAR(CreatedDate)",
    ),
    (
        "SELECT CALENDAR_YEAR(CloseDate) yr, CALENDAR_QUARTER(CloseDate) q, SUM(Amount) FROM Opportunity GROUP BY CALENDAR_YEAR(CloseDate), CALENDAR_QUARTER(CloseDate) ORDER BY CALENDAR_YEAR(CloseDate) DESC",
        "SELECT CALENDAR_YEAR(CloseDate) yr, CALENDAR_QUARTER(CloseDate) q, SUM(Amount) expr0 FROM Opportunity GROUP BY CALENDAR_YEAR(CloseDate), CALENDAR_QUARTER(CloseDate) ORDER BY CALENDAR_YEAR(CloseDate) DESC NULLS LAST",
    ),
    (
        "SELECT CALENDAR_MONTH(CloseDate), COUNT(Id) FROM Opportunity GROUP BY CALENDAR_MONTH(CloseDate)",
        "SELECT CALENDAR_MONTH(CloseDate) expr0, COUNT(Id) expr1 FROM Opportunity GROUP BY CALENDAR_MONTH(CloseDate)",
    ),
    (
        "SELECT DAY_IN_MONTH(CloseDate), COUNT(Id) FROM Opportunity GROUP BY DAY_IN_MONTH(CloseDate)",
        "SELECT DAY_IN_MONTH(CloseDate) expr0, COUNT(Id) expr1 FROM Opportunity GROUP BY DAY_IN_MONTH(CloseDate)",
    ),
    (
        "SELECT DAY_IN_WEEK(CreatedDate) d, COUNT(Id) FROM Case GROUP BY DAY_IN_WEEK(CreatedDate)",
        "SELECT DAY_IN_WEEK(CreatedDate) d, COUNT(Id) expr0 FROM Case GROUP BY DAY_IN_WEEK(CreatedDate)",
    ),
    (
        "SELECT DAY_IN_YEAR(CloseDate), COUNT(Id) FROM Opportunity GROUP BY DAY_IN_YEAR(CloseDate)",
        "SELECT DAY_IN_YEAR(CloseDate) expr0, COUNT(Id) expr1 FROM Opportunity GROUP BY DAY_IN_YEAR(CloseDate)",
    ),
    (
        "SELECT DAY_ONLY(CreatedDate), COUNT(Id) FROM Account GROUP BY DAY_ONLY(CreatedDate)",
        "SELECT DAY_ONLY(CreatedDate) expr0, COUNT(Id) expr1 FROM Account GROUP BY DAY_ONLY(CreatedDate)",
    ),
    (
        "SELECT FISCAL_MONTH(CloseDate), COUNT(Id) FROM Opportunity GROUP BY FISCAL_MONTH(CloseDate)",
        "SELECT FISCAL_MONTH(CloseDate) expr0, COUNT(Id) expr1 FROM Opportunity GROUP BY FISCAL_MONTH(CloseDate)",
    ),
    (
        "SELECT FISCAL_QUARTER(CloseDate), SUM(Amount) FROM Opportunity GROUP BY FISCAL_QUARTER(CloseDate)",
        "SELECT FISCAL_QUARTER(CloseDate) expr0, SUM(Amount) expr1 FROM Opportunity GROUP BY FISCAL_QUARTER(CloseDate)",
    ),
    (
        "SELECT FISCAL_YEAR(CloseDate) fy, SUM(Amount) FROM Opportunity GROUP BY FISCAL_YEAR(CloseDate)",
        "SELECT FISCAL_YEAR(CloseDate) fy, SUM(Amount) expr0 FROM Opportunity GROUP BY FISCAL_YEAR(CloseDate)",
    ),
    (
        "SELECT HOUR_IN_DAY(CreatedDate), COUNT(Id) FROM Lead GROUP BY HOUR_IN_DAY(CreatedDate)",
        "SELECT HOUR_IN_DAY(CreatedDate) expr0, COUNT(Id) expr1 FROM Lead GROUP BY HOUR_IN_DAY(CreatedDate)",
    ),
    (
        "SELECT WEEK_IN_MONTH(CloseDate), COUNT(Id) FROM Opportunity GROUP BY WEEK_IN_MONTH(CloseDate)",
        "SELECT WEEK_IN_MONTH(CloseDate) expr0, COUNT(Id) expr1 FROM Opportunity GROUP BY WEEK_IN_MONTH(CloseDate)",
    ),
    (
        "SELECT WEEK_IN_YEAR(CloseDate), COUNT(Id) FROM Opportunity GROUP BY WEEK_IN_YEAR(CloseDate)",
        "SELECT WEEK_IN_YEAR(CloseDate) expr0, COUNT(Id) expr1 FROM Opportunity GROUP BY WEEK_IN_YEAR(CloseDate)",
    ),
    (
        "SELECT CALENDAR_QUARTER(CloseDate), COUNT(Id) FROM Opportunity GROUP BY CALENDAR_QUARTER(CloseDate)",
        "SELECT CALENDAR_QUARTER(CloseDate) expr0, COUNT(Id) expr1 FROM Opportunity GROUP BY CALENDAR_QUARTER(CloseDate)",
    ),
    (
        "SELECT Account.Name, COUNT(Id) FROM Contact GROUP BY Account.Name",
        "SELECT Account.Name, COUNT(Id) expr0 FROM Contact GROUP BY Account.Name",
    ),
    (
        "SELECT Industry, Type, COUNT(Id) FROM Account GROUP BY Industry, Type ORDER BY Industry, COUNT(Id) DESC",
        "SELECT Industry, Type, COUNT(Id) expr0 FROM Account GROUP BY Industry, Type ORDER BY Industry ASC NULLS FIRST, COUNT(Id) DESC NULLS LAST",
    ),
    (
        "SELECT Industry FROM Account GROUP BY Industry",
        "SELECT Industry FROM Account GROUP BY Industry",
    ),
    (
        "SELECT Industry FROM Account GROUP BY Industry, Type",
        "SELECT Industry FROM Account GROUP BY Industry, Type",
    ),
    (
        "SELECT Industry, COUNT(Id) FROM Account WHERE IsDeleted = FALSE GROUP BY Industry LIMIT 3",
        "SELECT Industry, COUNT(Id) expr0 FROM Account WHERE (IsDeleted = FALSE) GROUP BY Industry LIMIT 3",
    ),
    (
        "SELECT Id FROM Account ORDER BY Name LIMIT 10 OFFSET 20",
        "SELECT Id FROM Account ORDER BY Name ASC NULLS FIRST LIMIT 10 OFFSET 20",
    ),
    (
        "SELECT Id FROM Account OFFSET 2000",
        "SELECT Id FROM Account OFFSET 2000",
    ),
    (
        "SELECT Id FROM Account OFFSET 0",
        "SELECT Id FROM Account OFFSET 0",
    ),
    (
        "SELECT FIELDS(ALL) FROM Project__c LIMIT 200",
        "SELECT Account__c, Budget__c, Due__c, Id, OwnerId, IsDeleted, Name, CreatedDate, CreatedById, LastModifiedDate, LastModifiedById, SystemModstamp, RecordTypeId FROM Project__c LIMIT 200",
    ),
    (
        "SELECT FIELDS(CUSTOM) FROM Project__c LIMIT 10",
        "SELECT Account__c, Budget__c, Due__c FROM Project__c LIMIT 10",
    ),
    (
        "SELECT Name, FIELDS(CUSTOM) FROM Account LIMIT 200",
        "SELECT Name, Tags__c, Score__c, Tier__c, Logo__c, Visits__c, Opens__c, Partner__c FROM Account LIMIT 200",
    ),
    (
        "SELECT BillingAddress FROM Account",
        "SELECT BillingAddress FROM Account",
    ),
];

#[test]
fn bulk_statements_bind_to_their_canonical_form_in_both_modes() {
    for (soql, expected) in BULK {
        assert_eq!(render(soql, Mode::BulkQuery), *expected, "{soql}");
        assert_eq!(render(soql, Mode::Rest), *expected, "REST: {soql}");
    }
}

#[test]
fn rest_only_statements_bind_in_rest_and_are_refused_in_bulk() {
    for (soql, expected) in REST_ONLY {
        assert_eq!(render(soql, Mode::Rest), *expected, "{soql}");
        let refusal = common::refusal(soql, Mode::BulkQuery);
        assert_eq!(refusal.code, "API_ERROR", "{soql}: {refusal}");
    }
}

#[test]
fn tables_are_large() {
    assert!(BULK.len() >= 190, "{}", BULK.len());
    assert!(REST_ONLY.len() >= 40, "{}", REST_ONLY.len());
}
