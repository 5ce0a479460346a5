# -*- coding: utf-8 -*-
# Copyright: stackops.ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate, normalise and compare Atlas project IP access list entries.

Pure standard library (shared by the modules and the sync Lambda).

An entry is identified by its *key*: the canonical CIDR for ``ip_address`` and
``cidr_block`` (``192.0.2.7`` and ``192.0.2.7/32`` are the same entry, as Atlas
echoes a single IP with its /32 CIDR), or the security group ID.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress
import re

ADDRESS_FIELDS = ("cidr_block", "ip_address", "aws_security_group")
API_FIELD = {"cidr_block": "cidrBlock", "ip_address": "ipAddress", "aws_security_group": "awsSecurityGroup"}
MAX_COMMENT = 80
MAX_TEMPORARY = datetime.timedelta(days=7)
_SG_RE = re.compile(r"^(?:[0-9]{12}/)?sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
# Every IPv4 address as an IPv6 stack writes it (::ffff:a.b.c.d, RFC 4291 section 2.5.5.2).
_IPV4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_UTC = datetime.timezone.utc


class EntryError(ValueError):
    """A bad entry. The message names the field (``entries[1].cidr_block``) and the fix."""


def _now():
    return datetime.datetime.now(_UTC)


def parse_date(value):
    """Parse an ISO 8601 timestamp (``Z`` or offset; naive means UTC). Returns an aware datetime or None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        parsed = value
    else:
        text = str(value).strip()
        if text.endswith("Z") or text.endswith("z"):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.datetime.fromisoformat(text)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_UTC)
    return parsed.astimezone(_UTC)


def format_date(value):
    return value.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_network(text, field):
    """Canonical CIDR text for an address or CIDR, or EntryError naming ``field``."""
    text = str(text).strip()
    try:
        return str(ipaddress.ip_network(text, strict=True))
    except ValueError:
        pass
    try:
        corrected = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise EntryError("%s: %r is not a valid IPv4/IPv6 address or CIDR block (e.g. 203.0.113.0/24)." % (field, text))
    raise EntryError("%s: %s has host bits set; the network is %s. Use that, or ip_address for a single host."
                     % (field, text, corrected))


def open_world_network(text):
    """The network an address or CIDR text admits when that is the whole internet, else None.

    Open means a prefix length of 0 in IPv4 or IPv6 however it is written (``0.0.0.0/0``,
    `` 0.0.0.0/0 ``, ``0.0.0.0/00``, ``0.0.0.0/0.0.0.0``, ``10.0.0.0/0``, ``::/0``, ``0::0/0``,
    the full 8-group form), or an IPv6 network that holds every IPv4-mapped address
    (``::ffff:0.0.0.0/96`` or any shorter prefix containing it: ``::ffff:a.b.c.d`` is how IPv6
    stacks write an IPv4 peer). Host bits are ignored (strict=False): what counts is what the
    network admits, not whether it is well written. Text that is no address at all is not open
    (normalize_entry rejects it).
    """
    if text is None or isinstance(text, (bool, dict, list, tuple)):
        return None
    text = str(text).strip()
    if not text:
        return None
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    if network.prefixlen == 0 or (network.version == 6 and _IPV4_MAPPED.subnet_of(network)):
        return network
    return None


def is_open_world(entry_or_text):
    """True when an entry or an address/CIDR text admits the whole internet (see open_world_network).

    ``entry_or_text`` is a text, or an entry as users write it (``cidr_block`` / ``ip_address``) or as
    Atlas returns it (``cidrBlock`` / ``ipAddress``); every address field of an entry is looked at.
    """
    if isinstance(entry_or_text, dict):
        return bool(open_world_fields(entry_or_text))
    return open_world_network(entry_or_text) is not None


def open_world_fields(entry):
    """The ``(field, text, network)`` of each address field of ``entry`` that admits the whole internet."""
    if not isinstance(entry, dict):
        return []
    found = []
    for field in ("cidr_block", "ip_address", "cidrBlock", "ipAddress"):
        network = open_world_network(entry.get(field))
        if network is not None:
            found.append((field, str(entry[field]), network))
    return found


def open_world_entries(entries, name="entries"):
    """One line per open entry of a list: ``entries[0].cidr_block '0.0.0.0/00' (0.0.0.0/0)``."""
    lines = []
    for index, entry in enumerate(entries or []):
        if not isinstance(entry, dict):
            network = open_world_network(entry)
            if network is not None:
                lines.append("%s[%d] %r (%s)" % (name, index, str(entry), network))
            continue
        for field, text, network in open_world_fields(entry):
            lines.append("%s[%d].%s %r (%s)" % (name, index, field, text, network))
    return lines


def _wire(address):
    """How an address or network is sent: IPv6 in full 8-group form, which is what the
    Atlas spec's ipAddress/cidrBlock patterns accept (they reject the :: shorthand)."""
    if address.version == 6:
        if isinstance(address, ipaddress.IPv6Network):
            return "%s/%d" % (address.network_address.exploded, address.prefixlen)
        return address.exploded
    return str(address)


def normalize_entry(entry, index=0, now=None):
    """Validate one user entry (snake_case keys). Returns the normalised entry.

    The result has ``key`` (identity), ``payload`` (the Atlas JSON to POST),
    ``value`` (what to put in a DELETE/status path) and ``comment`` /
    ``delete_after_date`` (None when not managed by the caller).
    """
    where = "entries[%d]" % index
    if not isinstance(entry, dict):
        raise EntryError("%s: must be a dict with one of %s." % (where, ", ".join(ADDRESS_FIELDS)))
    unknown = sorted(set(entry) - set(ADDRESS_FIELDS) - {"comment", "delete_after_date"})
    if unknown:
        raise EntryError("%s: unknown field(s) %s; allowed are %s, comment, delete_after_date."
                         % (where, ", ".join(unknown), ", ".join(ADDRESS_FIELDS)))
    given = [f for f in ADDRESS_FIELDS if entry.get(f) not in (None, "")]
    if len(given) != 1:
        raise EntryError("%s: set exactly one of cidr_block, ip_address, aws_security_group (%s)."
                         % (where, "got " + " and ".join(given) if given else "none given"))
    field = given[0]
    raw = str(entry[field]).strip()
    payload = {}
    if field == "aws_security_group":
        if not _SG_RE.match(raw):
            raise EntryError("%s.aws_security_group: %r is not a security group ID (sg-0123abcd or "
                             "sg-0123456789abcdef0)." % (where, raw))
        key = value = raw
        payload["awsSecurityGroup"] = raw
    elif field == "ip_address":
        try:
            address = ipaddress.ip_address(raw)
        except ValueError:
            raise EntryError("%s.ip_address: %r is not a valid IPv4/IPv6 address%s." % (
                where, raw, "; use cidr_block for a network" if "/" in raw else ""))
        key = str(ipaddress.ip_network(address))
        value = str(address)
        payload["ipAddress"] = _wire(address)
    else:
        key = canonical_network(raw, "%s.cidr_block" % where)
        value = key
        payload["cidrBlock"] = _wire(ipaddress.ip_network(key))
    comment = entry.get("comment")
    if comment is not None:
        comment = str(comment)
        if len(comment) > MAX_COMMENT:
            raise EntryError("%s.comment: %d characters, Atlas allows at most %d." % (where, len(comment), MAX_COMMENT))
        payload["comment"] = comment
    expiry = entry.get("delete_after_date")
    if expiry not in (None, ""):
        if field == "aws_security_group":
            raise EntryError("%s.delete_after_date: security group entries cannot be temporary." % where)
        parsed = parse_date(expiry)
        if parsed is None:
            raise EntryError("%s.delete_after_date: %r is not an ISO 8601 date-time (2030-01-31T12:00:00Z)."
                             % (where, expiry))
        now = now or _now()
        if parsed <= now:
            raise EntryError("%s.delete_after_date: %s is in the past; it must be later than now and at most one "
                             "week ahead." % (where, format_date(parsed)))
        if parsed > now + MAX_TEMPORARY:
            raise EntryError("%s.delete_after_date: %s is more than one week ahead (latest allowed %s)."
                             % (where, format_date(parsed), format_date(now + MAX_TEMPORARY)))
        expiry = format_date(parsed)
        payload["deleteAfterDate"] = expiry
    else:
        expiry = None
    return {"key": key, "value": value, "field": field, "comment": comment,
            "delete_after_date": expiry, "payload": payload}


def normalize_entries(entries, now=None):
    """Validate a list of entries; raises EntryError for the first bad one or a duplicate."""
    result = []
    seen = {}
    for index, entry in enumerate(entries or []):
        norm = normalize_entry(entry, index, now=now)
        if norm["key"] in seen:
            raise EntryError("entries[%d]: %s is the same entry as entries[%d] (an ip_address equals its /32 "
                             "cidr_block); list it once." % (index, norm["key"], seen[norm["key"]]))
        seen[norm["key"]] = index
        result.append(norm)
    return result


def entry_key(atlas_entry):
    """Key of an entry as Atlas returns it (camelCase)."""
    if atlas_entry.get("awsSecurityGroup"):
        return atlas_entry["awsSecurityGroup"]
    raw = atlas_entry.get("cidrBlock") or atlas_entry.get("ipAddress")
    try:
        return str(ipaddress.ip_network(raw, strict=False))
    except (TypeError, ValueError):
        return raw


def entry_value(atlas_entry):
    """Path value for DELETE/status: the IP for single-IP entries, else the CIDR or group."""
    return atlas_entry.get("awsSecurityGroup") or atlas_entry.get("ipAddress") or atlas_entry.get("cidrBlock")


def public_view(atlas_entry):
    """An Atlas entry without links/groupId, for results and diffs."""
    return dict((k, v) for k, v in atlas_entry.items() if k not in ("links", "groupId"))


def _same_date(left, right):
    return parse_date(left) == parse_date(right)


def plan(current, desired, state="present", purge=False, purge_comment_prefix=None):
    """Compare Atlas's list with normalised desired entries.

    Returns a dict with ``add`` (normalised entries to POST, new or with a new
    comment), ``replace`` (Atlas entries to DELETE before the POST because their
    expiry changes), ``remove`` (Atlas entries to DELETE) and ``after`` (the
    predicted list).
    """
    by_key = dict((entry_key(e), e) for e in current)
    add, replace, remove = [], [], []
    wanted = set()
    for norm in desired:
        wanted.add(norm["key"])
        existing = by_key.get(norm["key"])
        if state == "absent":
            if existing is not None:
                remove.append(existing)
            continue
        if existing is None:
            add.append(norm)
            continue
        expiry_changed = not _same_date(existing.get("deleteAfterDate"), norm["delete_after_date"]) and (
            norm["delete_after_date"] is not None or existing.get("deleteAfterDate"))
        if expiry_changed:
            replace.append(existing)
            add.append(norm)
        elif norm["comment"] is not None and (existing.get("comment") or "") != norm["comment"]:
            add.append(norm)
    if purge:
        for key, existing in by_key.items():
            if key in wanted and state == "present":
                continue
            if any(r is existing for r in remove):
                continue
            if purge_comment_prefix and not (existing.get("comment") or "").startswith(purge_comment_prefix):
                continue
            remove.append(existing)
    after = predict(current, add, replace + remove)
    return {"add": add, "replace": replace, "remove": remove, "after": after}


def predict(current, add, gone):
    """The list Atlas should report after adding ``add`` and deleting ``gone``."""
    gone_keys = set(entry_key(e) for e in gone)
    result = []
    index = {}
    for entry in current:
        key = entry_key(entry)
        if key in gone_keys:
            continue
        index[key] = len(result)
        result.append(public_view(entry))
    for norm in add:
        view = dict(norm["payload"])
        if norm["field"] == "ip_address":
            view["cidrBlock"] = _wire(ipaddress.ip_network(norm["key"]))
        if norm["key"] in index:
            merged = dict(result[index[norm["key"]]])
            merged.update(view)
            result[index[norm["key"]]] = merged
        else:
            index[norm["key"]] = len(result)
            result.append(view)
    return result
