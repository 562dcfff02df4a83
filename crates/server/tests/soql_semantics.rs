//! SOQL semantics as executed: each WHERE/ORDER BY form run over a known data set through the REST query
//! endpoint, with the names of the matching accounts asserted (Salesforce's rules: case-insensitive text,
//! `!=` and `NOT IN` keep nulls, date literals are ranges, nulls first ascending).

mod common;

use common::start_with_extension;
use serde_json::Value;

fn encode(soql: &str) -> String {
    soql.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_and_order_by_follow_salesforce_semantics() {
    let server = start_with_extension(|_| {}).await;
    let today = chrono::Utc::now().date_naive();
    let days_ago = |n: i64| {
        (today - chrono::Duration::days(n))
            .format("%Y-%m-%d")
            .to_string()
    };
    // Name, Industry, NumberOfEmployees, Rating, Ext__c
    let csv = "Name,Industry,NumberOfEmployees,Rating,Ext__c,Site\n\
        Alpha,Banking,10,Hot,a-1,x\n\
        beta,banking,20,,b-2,\n\
        Gamma,Energy,30,Cold,,y\n\
        Delta 50%,,,Warm,d_4,\n\
        Epsilon,Energy,50,Hot,e-5,z\n";
    let ids = server.insert("Account", csv).await;
    let contacts = format!(
        "LastName,AccountId,Birthdate\nOne,{},{}\nTwo,{},{}\nThree,,{}\n",
        ids[0],
        days_ago(0),
        ids[2],
        days_ago(10),
        days_ago(400)
    );
    server.insert("Contact", &contacts).await;

    let names = |soql: String| {
        let server = &server;
        async move {
            let reply = server
                .get(&server.api(&format!("/query?q={}", encode(&soql))))
                .await;
            assert_eq!(reply.status, 200, "{soql}: {}", reply.text());
            let body: Value = reply.json();
            body["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    r.get("Name")
                        .or_else(|| r.get("LastName"))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned()
                })
                .collect::<Vec<_>>()
        }
    };
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("SELECT Name FROM Account WHERE Industry = 'BANKING' ORDER BY Name".into(), vec!["Alpha", "beta"]),
        ("SELECT Name FROM Account WHERE Industry != 'Banking' ORDER BY Name".into(), vec!["Delta 50%", "Epsilon", "Gamma"]),
        ("SELECT Name FROM Account WHERE Industry = null ORDER BY Name".into(), vec!["Delta 50%"]),
        ("SELECT Name FROM Account WHERE Industry != null ORDER BY Name".into(), vec!["Alpha", "beta", "Epsilon", "Gamma"]),
        ("SELECT Name FROM Account WHERE NumberOfEmployees > 20 ORDER BY Name".into(), vec!["Epsilon", "Gamma"]),
        ("SELECT Name FROM Account WHERE NumberOfEmployees <= 20 ORDER BY Name".into(), vec!["Alpha", "beta"]),
        ("SELECT Name FROM Account WHERE Name LIKE 'a%' ORDER BY Name".into(), vec!["Alpha"]),
        ("SELECT Name FROM Account WHERE Name LIKE '_eta' ORDER BY Name".into(), vec!["beta"]),
        ("SELECT Name FROM Account WHERE Name LIKE '%50\\%' ORDER BY Name".into(), vec!["Delta 50%"]),
        ("SELECT Name FROM Account WHERE Ext__c LIKE 'd\\_%' ORDER BY Name".into(), vec!["Delta 50%"]),
        ("SELECT Name FROM Account WHERE Rating IN ('hot', 'Cold') ORDER BY Name".into(), vec!["Alpha", "Epsilon", "Gamma"]),
        ("SELECT Name FROM Account WHERE Rating NOT IN ('Hot') ORDER BY Name".into(), vec!["beta", "Delta 50%", "Gamma"]),
        ("SELECT Name FROM Account WHERE (Rating = 'Hot' OR Rating = 'Warm') AND NumberOfEmployees = null".into(), vec!["Delta 50%"]),
        ("SELECT Name FROM Account WHERE NOT (Industry = 'Energy') ORDER BY Name".into(), vec!["Alpha", "beta", "Delta 50%"]),
        ("SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact) ORDER BY Name".into(), vec!["Alpha", "Gamma"]),
        ("SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact) ORDER BY Name".into(), vec!["beta", "Delta 50%", "Epsilon"]),
        ("SELECT LastName FROM Contact WHERE Account.Industry = 'Energy'".into(), vec!["Two"]),
        ("SELECT LastName FROM Contact WHERE Birthdate = TODAY".into(), vec!["One"]),
        ("SELECT LastName FROM Contact WHERE Birthdate = LAST_N_DAYS:30 ORDER BY LastName".into(), vec!["One", "Two"]),
        ("SELECT LastName FROM Contact WHERE Birthdate < LAST_N_DAYS:30".into(), vec!["Three"]),
        ("SELECT LastName FROM Contact WHERE CALENDAR_YEAR(Birthdate) = ".to_owned() + &today.format("%Y").to_string() + " ORDER BY LastName", vec![]),
        ("SELECT LastName FROM Contact WHERE CreatedDate = TODAY ORDER BY LastName".into(), vec!["One", "Three", "Two"]),
        ("SELECT Name FROM Account ORDER BY NumberOfEmployees DESC NULLS LAST, Name".into(), vec!["Epsilon", "Gamma", "beta", "Alpha", "Delta 50%"]),
        ("SELECT Name FROM Account ORDER BY Industry, Name".into(), vec!["Delta 50%", "Alpha", "beta", "Epsilon", "Gamma"]),
        ("SELECT Name FROM Account ORDER BY Industry DESC, Name DESC".into(), vec!["Gamma", "Epsilon", "beta", "Alpha", "Delta 50%"]),
        ("SELECT Name FROM Account ORDER BY Name LIMIT 2".into(), vec!["Alpha", "beta"]),
        ("SELECT Name FROM Account ORDER BY Name LIMIT 2 OFFSET 3".into(), vec!["Epsilon", "Gamma"]),
        ("SELECT Name FROM Account WHERE Site IN ('x', null) ORDER BY Name".into(), vec!["Alpha", "beta", "Delta 50%"]),
    ];
    let mut failures = Vec::new();
    for (soql, expected) in cases {
        let mut got = names(soql.clone()).await;
        // CALENDAR_YEAR case: whoever was born this year, computed from the data rather than hard-coded.
        if soql.contains("CALENDAR_YEAR") {
            let this_year: Vec<&str> = [("One", 0), ("Two", 10), ("Three", 400)]
                .into_iter()
                .filter(|(_, d)| {
                    (today - chrono::Duration::days(*d))
                        .format("%Y")
                        .to_string()
                        == today.format("%Y").to_string()
                })
                .map(|(n, _)| n)
                .collect();
            got.sort();
            let mut want: Vec<String> = this_year
                .iter()
                .map(std::string::ToString::to_string)
                .collect();
            want.sort();
            if got != want {
                failures.push(format!("{soql}\n  got {got:?}\n  want {want:?}"));
            }
            continue;
        }
        if got != expected {
            failures.push(format!("{soql}\n  got {got:?}\n  want {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
