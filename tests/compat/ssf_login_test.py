#!/usr/bin/env python3
"""simple-salesforce (PyPI) logging in to a running `bulkforce serve --tls`, then using the Bulk API 2.0.

Usage: BF_URL=https://127.0.0.1:PORT BF_CA=…/tls/cert.pem BF_USERNAME=… BF_PASSWORD=… BF_CLIENT_ID=…
       BF_CLIENT_SECRET=… BF_ORG_ID=00D… BF_USER_ID=005… BF_USER_TOKEN=00D…!… ssf_login_test.py TMPDIR
(REQUESTS_CA_BUNDLE should name BF_CA too: requests lets it override session.verify, clients.md §2.)

Three ways in, each followed by a small bulk2 insert and a paged bulk2 query:
  1. SOAP login: Salesforce(username, password, security_token='').
  2. OAuth 2.0 password grant: Salesforce(username, password, consumer_key, consumer_secret).
  3. A token from `bulkforce admin token`: Salesforce(instance_url=BF_URL, session_id=…), over https with a
     plain requests.Session (no URL rewriting).
simple-salesforce sends both logins to https://login.salesforce.com, so 1 and 2 use a requests.Session
subclass that rewrites scheme and host of every request to BF_URL (clients.md §2); after the login, the
client must already be talking to the server by itself (the serverUrl / instance_url it was given), which
is checked. Wrong credentials must fail the way Salesforce fails them.

Prints one line per check ("ok   …" or "FAIL …") and exits 1 if any check failed. A scenario that raises is
reported as a failed check and the next scenario still runs.
"""

import csv
import io
import os
import sys
import traceback
from urllib.parse import urlsplit, urlunsplit

import requests
from simple_salesforce import Salesforce, SalesforceAuthenticationFailed

URL = os.environ["BF_URL"].rstrip("/")
CA = os.environ["BF_CA"]
USERNAME = os.environ["BF_USERNAME"]
PASSWORD = os.environ["BF_PASSWORD"]
CLIENT_ID = os.environ["BF_CLIENT_ID"]
CLIENT_SECRET = os.environ["BF_CLIENT_SECRET"]
ORG_ID = os.environ["BF_ORG_ID"]
USER_ID = os.environ["BF_USER_ID"]
USER_TOKEN = os.environ["BF_USER_TOKEN"]
TMP = sys.argv[1]
WAIT = 0.5  # seconds before the first poll (the client's default is 5)
LOCAL = urlsplit(URL)

failures = []
count = 0


def check(name, cond, detail=""):
    global count
    count += 1
    if cond:
        print(f"ok   ssf {name}", flush=True)
    else:
        failures.append(name)
        print(f"FAIL ssf {name}" + (f": {detail}" if detail else ""), flush=True)
    return cond


def eq(name, got, want):
    return check(name, got == want, f"got {got!r}, want {want!r}")


def scenario(fn):
    """Runs one scenario; an exception is a failed check, reported with its message."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - any client exception is a finding
        tb = traceback.extract_tb(exc.__traceback__)
        where = f"{tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else "?"
        check(f"{fn.__name__} ran without an exception", False, f"{type(exc).__name__} at {where}: {exc}")


def rows(text):
    return list(csv.DictReader(io.StringIO(text, newline="")))


class LocalSession(requests.Session):
    """Sends every request to the local server, whatever scheme and host the client chose, and records the
    URLs the client asked for."""

    def __init__(self):
        super().__init__()
        self.verify = CA
        self.asked = []  # (method, url as the client built it)

    def request(self, method, url, *args, **kwargs):
        self.asked.append((method.upper(), url))
        parts = urlsplit(url)
        url = urlunsplit((LOCAL.scheme, LOCAL.netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, url, *args, **kwargs)


def plain_session():
    session = requests.Session()
    session.verify = CA
    return session


def auth_failure(fn):
    """The (code, message) of the SalesforceAuthenticationFailed that fn raises, or what it did instead."""
    try:
        fn()
    except SalesforceAuthenticationFailed as exc:
        return exc.code, exc.auth_message
    except Exception as exc:  # noqa: BLE001
        return "raised " + type(exc).__name__, str(exc)
    return "no exception", ""


def logged_in(label, sf, session):
    """Checks that a logged-in client talks to this server, in the right org, as the right user."""
    eq(f"{label}: sf_instance is the server's host:port", sf.sf_instance, LOCAL.netloc)
    check(f"{label}: session id is an access token of the org", sf.session_id.startswith(ORG_ID[:15] + "!"),
          repr(sf.session_id[:20]))
    eq(f"{label}: bulk2 URL", sf.bulk2_url, f"{URL}/services/data/v{sf.sf_version}/jobs/")
    org = sf.query("SELECT Id, Name FROM Organization")
    eq(f"{label}: REST query of Organization answers the org", [r["Id"] for r in org["records"]], [ORG_ID])
    user = sf.User.get(USER_ID)
    eq(f"{label}: sobjects/User/{{id}} answers the user", user.get("Username"), USERNAME)
    if session is not None:
        elsewhere = [(m, u) for m, u in session.asked[1:] if not u.startswith(URL + "/")]
        eq(f"{label}: after the login every request went to the server's URL unrewritten", elsewhere, [])


def bulk_roundtrip(label, sf):
    """Inserts three Accounts through bulk2, reads the results, and queries them back two per page."""
    bulk = sf.bulk2.Account
    names = [f"ssf {label} 1", f'ssf {label} 2, "quoted"', f"ssf {label} 3 Zürich"]
    res = bulk.insert(records=[{"Name": n} for n in names], wait=WAIT)
    eq(f"{label}: bulk2 insert processed/failed", [(r["numberRecordsProcessed"], r["numberRecordsFailed"])
                                                   for r in res], [(3, 0)])
    path = os.path.join(TMP, f"{label}-success.csv")
    bulk.get_successful_records(res[0]["job_id"], file=path)
    with open(path, encoding="utf-8", newline="") as f:
        ok = rows(f.read())
    ids = {row["Name"]: row["sf__Id"] for row in ok}
    eq(f"{label}: bulk2 successfulResults names", sorted(ids), sorted(names))
    check(f"{label}: bulk2 successfulResults ids are Account ids",
          all(len(i) == 18 and i.startswith("001") for i in ids.values()), repr(ids))
    pages = list(bulk.query(f"SELECT Id, Name FROM Account WHERE Name LIKE 'ssf {label} %' ORDER BY Name",
                            max_records=2, wait=WAIT))
    eq(f"{label}: bulk2 query pages of 2 for 3 rows", len(pages), 2)
    got = [(row["Name"], row["Id"]) for page in pages for row in rows(page)]
    eq(f"{label}: bulk2 query answers the inserted rows", got, sorted((n, ids.get(n)) for n in names))
    return ids


def soap_login():
    session = LocalSession()
    sf = Salesforce(username=USERNAME, password=PASSWORD, security_token="", session=session)
    eq("soap: the login is POST /services/Soap/u/59.0 (to login.salesforce.com)", session.asked[:1],
       [("POST", "https://login.salesforce.com/services/Soap/u/59.0")])
    logged_in("soap", sf, session)
    bulk_roundtrip("soap", sf)
    code, message = auth_failure(lambda: Salesforce(username=USERNAME, password=PASSWORD + "x", security_token="",
                                                    session=LocalSession()))
    eq("soap: a wrong password fails with INVALID_LOGIN", code, "INVALID_LOGIN")
    check("soap: … and Salesforce's message", "Invalid username, password, security token; or user locked out"
          in (message or ""), repr(message))


def oauth_password():
    session = LocalSession()
    sf = Salesforce(username=USERNAME, password=PASSWORD, consumer_key=CLIENT_ID, consumer_secret=CLIENT_SECRET,
                    session=session)
    eq("oauth password: the login is POST /services/oauth2/token (to login.salesforce.com)", session.asked[:1],
       [("POST", "https://login.salesforce.com/services/oauth2/token")])
    logged_in("oauth password", sf, session)
    bulk_roundtrip("oauth", sf)
    code, message = auth_failure(lambda: Salesforce(username=USERNAME, password=PASSWORD + "x",
                                                    consumer_key=CLIENT_ID, consumer_secret=CLIENT_SECRET,
                                                    session=LocalSession()))
    eq("oauth password: a wrong password fails with invalid_grant / authentication failure", (code, message),
       ("invalid_grant", "authentication failure"))
    code, message = auth_failure(lambda: Salesforce(username=USERNAME, password=PASSWORD,
                                                    consumer_key=CLIENT_ID + "x", consumer_secret=CLIENT_SECRET,
                                                    session=LocalSession()))
    eq("oauth password: an unknown client id fails with invalid_client_id", code, "invalid_client_id")


def token_over_https():
    sf = Salesforce(instance_url=URL, session_id=USER_TOKEN, session=plain_session())
    logged_in("token", sf, None)
    bulk_roundtrip("token", sf)
    # All three sessions are the same user of the same org: everything is there, and nothing else.
    pages = list(sf.bulk2.Account.query("SELECT Name FROM Account", wait=WAIT))
    names = sorted(row["Name"].split(" ")[1] for page in pages for row in rows(page))
    eq("token: the org holds the rows of all three sessions", names, ["oauth"] * 3 + ["soap"] * 3 + ["token"] * 3)
    sf = Salesforce(instance_url=URL, session_id=USER_TOKEN + "x", session=plain_session())
    try:
        sf.query("SELECT Id FROM Organization")
        check("token: an unknown token is refused", False, "the query succeeded")
    except Exception as exc:  # noqa: BLE001
        eq("token: an unknown token is refused (SalesforceExpiredSession)", type(exc).__name__,
           "SalesforceExpiredSession")


for step in (soap_login, oauth_password, token_over_https):
    scenario(step)

print(f"ssf logins: {count - len(failures)} passed, {len(failures)} failed", flush=True)
sys.exit(1 if failures else 0)
