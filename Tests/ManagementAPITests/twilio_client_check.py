#!/usr/bin/env python3
"""Wire-compatibility check of sipfence's management API against Twilio's official
helper library (the `twilio` package from PyPI), used unmodified.

The library is pointed at a running sipfence API through `client.api.base_url` (its
`Domain` joins that base with each resource's relative URI); `edge` and `region` stay
unset, so no hostname rewriting happens. Everything else is the SDK's own code: request
encoding, RFC 2822 date parsing, paging through `next_page_uri`, error mapping to
`TwilioRestException`.

Usage (in a virtualenv with `pip install twilio`):

    python3 twilio_client_check.py --base-url http://127.0.0.1:PORT \
        --account-sid AC... --auth-token TOKEN \
        [--other-account-sid AC... --other-auth-token TOKEN]

The server's store may already hold records: names are made unique per run. Only
loopback base URLs are accepted. Prints one line per check and then
`N passed, M failed`; exits 0 only when nothing failed.
"""

import argparse
import ipaddress
import json
import secrets
import sys
import traceback
from datetime import datetime
from urllib.parse import urlparse

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def expect(self, name, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name} {detail}")

    def expect_error(self, name, call, status, code):
        try:
            call()
        except TwilioRestException as error:
            self.expect(
                name,
                error.status == status and error.code == code,
                f"got status {error.status} code {error.code}: {error.msg}",
            )
            return
        self.expect(name, False, "no TwilioRestException raised")


def client_for(base_url, account_sid, auth_token):
    client = Client(account_sid, auth_token)
    client.edge = None
    client.region = None
    client.api.base_url = base_url
    return client


def require_loopback(base_url):
    host = urlparse(base_url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    sys.exit(f"refusing non-loopback base URL {base_url}")


def run(args, checks):
    client = client_for(args.base_url, args.account_sid, args.auth_token)
    sip = client.sip
    run_id = secrets.token_hex(4)

    # --- Domains -------------------------------------------------------------------
    domain = sip.domains.create(
        domain_name=f"trunk-{run_id}.example.com",
        friendly_name="Trunk",
        voice_url="https://example.com/voice",
        voice_method="POST",
        secure=True,
    )
    checks.expect("domain create: SD sid", domain.sid.startswith("SD") and len(domain.sid) == 34, domain.sid)
    checks.expect("domain create: fields", (domain.domain_name, domain.friendly_name, domain.voice_method, domain.secure)
                  == (f"trunk-{run_id}.example.com", "Trunk", "POST", True))
    checks.expect("domain create: account and api version",
                  domain.account_sid == args.account_sid and domain.api_version == "2010-04-01")
    checks.expect("domain create: RFC 2822 dates parsed by the SDK",
                  isinstance(domain.date_created, datetime) and domain.date_created.utcoffset().total_seconds() == 0)
    checks.expect("domain create: nulls", domain.voice_fallback_url is None and domain.byoc_trunk_sid is None)
    checks.expect("domain create: empty auth_type, POST for unset methods",
                  (domain.auth_type, domain.voice_fallback_method, domain.voice_status_callback_method)
                  == ("", "POST", "POST"), f"{domain.auth_type!r}")
    checks.expect("domain create: subresource_uris",
                  domain.subresource_uris["ip_access_control_list_mappings"].endswith(
                      f"/SIP/Domains/{domain.sid}/IpAccessControlListMappings.json")
                  and domain.subresource_uris["credential_list_mappings"].endswith(
                      f"/SIP/Domains/{domain.sid}/CredentialListMappings.json"))

    fetched = sip.domains(domain.sid).fetch()
    checks.expect("domain fetch", (fetched.sid, fetched.domain_name, fetched.uri) == (domain.sid, domain.domain_name, domain.uri))

    updated = sip.domains(domain.sid).update(friendly_name="Trunk 2", sip_registration=True, voice_url="")
    checks.expect("domain update", (updated.friendly_name, updated.sip_registration, updated.voice_url, updated.secure)
                  == ("Trunk 2", True, None, True))

    # --- Lists and addresses -------------------------------------------------------
    carriers = sip.ip_access_control_lists.create(friendly_name=f"carriers {run_id}")
    checks.expect("list create", carriers.sid.startswith("AL") and carriers.friendly_name == f"carriers {run_id}")
    checks.expect("list fetch", sip.ip_access_control_lists(carriers.sid).fetch().friendly_name == carriers.friendly_name)
    renamed = sip.ip_access_control_lists(carriers.sid).update(friendly_name=f"peers {run_id}")
    checks.expect("list update", renamed.friendly_name == f"peers {run_id}")

    addresses = sip.ip_access_control_lists(carriers.sid).ip_addresses
    v4 = addresses.create(friendly_name="carrier A", ip_address="192.0.2.77", cidr_prefix_length=24)
    checks.expect("address create: network and length", (v4.ip_address, v4.cidr_prefix_length) == ("192.0.2.0", 24))
    checks.expect("address create: list sid", v4.ip_access_control_list_sid == carriers.sid and v4.sid.startswith("IP"))
    v6 = addresses.create(friendly_name="carrier B", ip_address="2001:db8::1")
    checks.expect("address create: IPv6 full length", (v6.ip_address, v6.cidr_prefix_length) == ("2001:db8::1", 128))
    slash = addresses.create(friendly_name="carrier C", ip_address="54.172.60.0/30")
    checks.expect("address create: slash notation", (slash.ip_address, slash.cidr_prefix_length) == ("54.172.60.0", 30))
    moved = addresses(v4.sid).update(friendly_name="carrier A2", cidr_prefix_length=16)
    checks.expect("address update", (moved.friendly_name, moved.ip_address, moved.cidr_prefix_length)
                  == ("carrier A2", "192.0.0.0", 16))
    checks.expect("address fetch", addresses(v6.sid).fetch().ip_address == "2001:db8::1")
    listed = addresses.list(page_size=1)
    checks.expect("address list across pages of 1", sorted(a.sid for a in listed) == sorted([v4.sid, v6.sid, slash.sid]))
    # Regression: CidrPrefixLength=0 is the default, "the entire IP address", never /0.
    whole = addresses.create(friendly_name="default length", ip_address="10.1.2.3", cidr_prefix_length=0)
    checks.expect("address create: cidr_prefix_length=0 is the full length",
                  (whole.ip_address, whole.cidr_prefix_length) == ("10.1.2.3", 32))
    addresses(whole.sid).delete()
    checks.expect_error(
        "address shorter than the minimum raises 21234",
        lambda: addresses.create(friendly_name="everyone", ip_address="0.0.0.0/0"), 400, 21234)

    # list(limit=N) sends PageSize=N even above 1000; the server serves 1000 a page.
    big = sip.ip_access_control_lists.create(friendly_name=f"big {run_id}")
    big_addresses = sip.ip_access_control_lists(big.sid).ip_addresses
    for i in range(1200):
        big_addresses.create(friendly_name=f"e{i}", ip_address=f"10.{i // 256}.{i % 256}.1")
    everything = big_addresses.list(limit=1500)
    checks.expect("list(limit=1500) returns all of 1,200 entries",
                  len(everything) == 1200 and len({a.sid for a in everything}) == 1200, f"{len(everything)} entries")
    first_page = big_addresses.page(page_size=1500)
    checks.expect("page(page_size=1500) is served as 1000", len(list(first_page)) == 1000)
    sip.ip_access_control_lists(big.sid).delete()

    # --- Mappings ------------------------------------------------------------------
    legacy = sip.domains(domain.sid).ip_access_control_list_mappings.create(ip_access_control_list_sid=carriers.sid)
    checks.expect("legacy mapping create", (legacy.sid, legacy.domain_sid, legacy.friendly_name)
                  == (carriers.sid, domain.sid, f"peers {run_id}"))
    checks.expect("legacy mapping fetch",
                  sip.domains(domain.sid).ip_access_control_list_mappings(carriers.sid).fetch().sid == carriers.sid)
    checks.expect("legacy mapping list",
                  [m.sid for m in sip.domains(domain.sid).ip_access_control_list_mappings.list()] == [carriers.sid])
    calls = sip.domains(domain.sid).auth.calls.ip_access_control_list_mappings
    mapped = calls.create(ip_access_control_list_sid=carriers.sid)
    checks.expect("auth/calls mapping create", mapped.sid == carriers.sid and mapped.friendly_name == f"peers {run_id}")
    checks.expect("auth/calls mapping fetch", calls(carriers.sid).fetch().sid == carriers.sid)
    checks.expect("auth/calls mapping list (key 'contents')", [m.sid for m in calls.list()] == [carriers.sid])
    checks.expect("domain auth_type after mapping", sip.domains(domain.sid).fetch().auth_type == "IP_ACL")
    checks.expect_error(
        "list mapped twice raises 21231",
        lambda: calls.create(ip_access_control_list_sid=carriers.sid), 400, 21231)

    # --- Credential lists, credentials and their mappings -----------------------------
    phones = sip.credential_lists.create(friendly_name=f"phones {run_id}")
    checks.expect("credential list create", phones.sid.startswith("CL") and phones.friendly_name == f"phones {run_id}")
    checks.expect("credential list subresource_uris",
                  phones.subresource_uris["credentials"].endswith(f"/SIP/CredentialLists/{phones.sid}/Credentials.json"))
    checks.expect("credential list fetch", sip.credential_lists(phones.sid).fetch().friendly_name == phones.friendly_name)
    renamed_phones = sip.credential_lists(phones.sid).update(friendly_name=f"desk phones {run_id}")
    checks.expect("credential list update", renamed_phones.friendly_name == f"desk phones {run_id}")
    checks.expect("credential list list",
                  phones.sid in [c.sid for c in sip.credential_lists.list(page_size=1)])

    credentials = sip.credential_lists(phones.sid).credentials
    alice = credentials.create(username="alice", password="IWasAtSignal2018")
    checks.expect("credential create", (alice.sid[:2], alice.username, alice.credential_list_sid)
                  == ("CR", "alice", phones.sid))
    raw = client.request("GET", args.base_url + alice.uri)
    checks.expect("credential JSON has no password or hash",
                  raw.status_code == 200 and set(json.loads(raw.text)) == {
                      "sid", "account_sid", "credential_list_sid", "username", "date_created", "date_updated", "uri"}
                  and "IWasAtSignal2018" not in raw.text, raw.text)
    bob = credentials.create(username="bob", password="Another1Password")
    changed = credentials(alice.sid).update(password="NewPassword2019")
    checks.expect("credential update (password)", (changed.sid, changed.username) == (alice.sid, "alice"))
    checks.expect("credential fetch", credentials(bob.sid).fetch().username == "bob")
    checks.expect("credential list across pages of 1",
                  sorted(c.sid for c in credentials.list(page_size=1)) == sorted([alice.sid, bob.sid]))
    checks.expect_error(
        "weak password raises 400",
        lambda: credentials.create(username="carol", password="weakpassword"), 400, 21234)
    checks.expect_error(
        "weak password on update raises 400",
        lambda: credentials(bob.sid).update(password="ALLUPPERCASE123"), 400, 21234)
    checks.expect_error(
        "taken username raises 400",
        lambda: credentials.create(username="alice", password="IWasAtSignal2018"), 400, 21234)

    credential_mappings = [
        ("legacy", sip.domains(domain.sid).credential_list_mappings),
        ("auth/calls", sip.domains(domain.sid).auth.calls.credential_list_mappings),
        ("auth/registrations", sip.domains(domain.sid).auth.registrations.credential_list_mappings),
    ]
    for name, mappings in credential_mappings:
        created = mappings.create(credential_list_sid=phones.sid)
        checks.expect(f"{name} credential mapping create",
                      (created.sid, created.friendly_name) == (phones.sid, f"desk phones {run_id}"))
        checks.expect(f"{name} credential mapping fetch", mappings(phones.sid).fetch().sid == phones.sid)
        checks.expect(f"{name} credential mapping list", [m.sid for m in mappings.list()] == [phones.sid])
        checks.expect_error(
            f"{name} credential list mapped twice raises 21231",
            lambda: mappings.create(credential_list_sid=phones.sid), 400, 21231)
    legacy_credentials = sip.domains(domain.sid).credential_list_mappings(phones.sid).fetch()
    checks.expect("legacy credential mapping domain_sid and uri",
                  legacy_credentials.domain_sid == domain.sid
                  and legacy_credentials.uri.endswith(f"/Domains/{domain.sid}/CredentialListMappings/{phones.sid}.json"))
    checks.expect("domain auth_type with both kinds mapped",
                  sip.domains(domain.sid).fetch().auth_type == "CREDENTIAL_LIST,IP_ACL")
    checks.expect_error(
        "unknown credential list mapping raises 21231",
        lambda: credential_mappings[1][1].create(credential_list_sid="CL" + "0" * 32), 400, 21231)

    # --- Paging over lists -----------------------------------------------------------
    extra = [sip.ip_access_control_lists.create(friendly_name=f"extra {run_id} {i}").sid for i in range(4)]
    mine = set(extra + [carriers.sid])
    streamed = [l.sid for l in sip.ip_access_control_lists.list(page_size=2)]
    checks.expect("list() follows next_page_uri", mine.issubset(streamed) and len(streamed) == len(set(streamed)))
    page = sip.ip_access_control_lists.page(page_size=2)
    paged = []
    pages = 0
    while page is not None and pages < 1000:
        paged += [record.sid for record in page]
        page = page.next_page()
        pages += 1
    checks.expect("page().next_page() walks every page", paged == streamed and pages >= 3, f"{pages} pages")
    checks.expect("domains list", domain.sid in [d.sid for d in sip.domains.list(page_size=1)])

    # --- Errors --------------------------------------------------------------------
    wrong = client_for(args.base_url, args.account_sid, args.auth_token + "x")
    checks.expect_error("wrong credentials raise 20003 (fetch)", lambda: wrong.sip.domains(domain.sid).fetch(), 401, 20003)
    checks.expect_error(
        "wrong credentials raise 20003 (create)",
        lambda: wrong.sip.ip_access_control_lists.create(friendly_name="x"), 401, 20003)
    # For a list, the SDK itself wraps any non-200 page in a plain TwilioException.
    try:
        wrong.sip.domains.list()
        checks.expect("wrong credentials refuse a list", False, "no exception")
    except TwilioRestException as error:
        checks.expect("wrong credentials refuse a list", error.status == 401, f"status {error.status}")
    except TwilioException as error:
        response = error.args[1] if len(error.args) > 1 else None
        checks.expect("wrong credentials refuse a list", getattr(response, "status_code", None) == 401, str(error))
    checks.expect_error(
        "missing domain raises 20404", lambda: sip.domains("SD" + "0" * 32).fetch(), 404, 20404)
    checks.expect_error(
        "missing address raises 20404", lambda: addresses("IP" + "0" * 32).fetch(), 404, 20404)
    checks.expect_error(
        "invalid domain name raises 21232", lambda: sip.domains.create(domain_name="bad_name.example.com"), 400, 21232)
    checks.expect_error(
        "taken domain name raises 21232", lambda: sip.domains.create(domain_name=domain.domain_name.upper()), 400, 21232)
    if args.api_key_sid:
        # Twilio's Client(username=API key SID, password=secret, account_sid=AC…).
        keyed = Client(args.api_key_sid, args.api_key_secret, args.account_sid)
        keyed.edge = None
        keyed.region = None
        keyed.api.base_url = args.base_url
        checks.expect("API key login fetches the account's domain", keyed.sip.domains(domain.sid).fetch().sid == domain.sid)
        by_key = keyed.sip.ip_access_control_lists.create(friendly_name=f"by key {run_id}")
        checks.expect("API key writes for its account", by_key.account_sid == args.account_sid)
        keyed.sip.ip_access_control_lists(by_key.sid).delete()
        bad_key = Client(args.api_key_sid, args.api_key_secret + "x", args.account_sid)
        bad_key.edge = None
        bad_key.region = None
        bad_key.api.base_url = args.base_url
        checks.expect_error("API key with a wrong secret raises 20003",
                            lambda: bad_key.sip.domains(domain.sid).fetch(), 401, 20003)
        if args.other_account_sid:
            foreign = Client(args.api_key_sid, args.api_key_secret, args.other_account_sid)
            foreign.edge = None
            foreign.region = None
            foreign.api.base_url = args.base_url
            checks.expect_error("API key on another account raises 20404",
                                lambda: foreign.sip.domains.create(domain_name=f"k-{run_id}.example.com"), 404, 20404)
    if args.other_account_sid:
        other = client_for(args.base_url, args.other_account_sid, args.other_auth_token)
        checks.expect_error(
            "another account's domain raises 20404",
            lambda: other.api.v2010.accounts(args.account_sid).sip.domains(domain.sid).fetch(), 404, 20404)
        checks.expect("another account lists none of these domains",
                      domain.sid not in [d.sid for d in other.sip.domains.list()])

    # --- Deletes -------------------------------------------------------------------
    for name, mappings in credential_mappings:
        checks.expect(f"{name} credential mapping delete", mappings(phones.sid).delete() is True)
    checks.expect("domain auth_type without credential mappings", sip.domains(domain.sid).fetch().auth_type == "IP_ACL")
    checks.expect("credential delete", credentials(bob.sid).delete() is True)
    checks.expect_error("deleted credential raises 20404", lambda: credentials(bob.sid).fetch(), 404, 20404)
    checks.expect("credential list delete", sip.credential_lists(phones.sid).delete() is True)
    checks.expect_error(
        "deleted credential list raises 20404", lambda: sip.credential_lists(phones.sid).fetch(), 404, 20404)
    checks.expect_error(
        "a deleted list's credential raises 20404", lambda: credentials(alice.sid).fetch(), 404, 20404)
    checks.expect("auth/calls mapping delete", calls(carriers.sid).delete() is True)
    checks.expect("legacy mapping delete",
                  sip.domains(domain.sid).ip_access_control_list_mappings(carriers.sid).delete() is True)
    checks.expect("address delete", addresses(v6.sid).delete() is True)
    checks.expect_error("deleted address raises 20404", lambda: addresses(v6.sid).fetch(), 404, 20404)
    for sid in extra + [carriers.sid]:
        sip.ip_access_control_lists(sid).delete()
    checks.expect_error(
        "deleted list raises 20404", lambda: sip.ip_access_control_lists(carriers.sid).fetch(), 404, 20404)
    checks.expect("domain delete", sip.domains(domain.sid).delete() is True)
    checks.expect_error("deleted domain raises 20404", lambda: sip.domains(domain.sid).fetch(), 404, 20404)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--account-sid", required=True)
    parser.add_argument("--auth-token", required=True)
    parser.add_argument("--other-account-sid")
    parser.add_argument("--other-auth-token")
    parser.add_argument("--api-key-sid")
    parser.add_argument("--api-key-secret")
    args = parser.parse_args()
    require_loopback(args.base_url)

    checks = Checks()
    try:
        run(args, checks)
    except Exception:  # an unexpected SDK error is a failed check, with its traceback
        traceback.print_exc()
        checks.failed += 1
    print(f"{checks.passed} passed, {checks.failed} failed")
    sys.exit(0 if checks.failed == 0 else 1)


if __name__ == "__main__":
    main()
