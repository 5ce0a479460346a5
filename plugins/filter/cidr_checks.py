# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CIDR checks for the network role's validation, on Python's ipaddress (no netaddr needed).

    {{ cidrs | stackops.ecs_webstack.cidr_invalid }}            -> the entries that are not IPv4 CIDRs
    {{ cidrs | stackops.ecs_webstack.cidr_outside(vpc_cidr) }}  -> the entries not inside vpc_cidr
    {{ cidrs | stackops.ecs_webstack.cidr_overlaps }}           -> ["a overlaps b", ...]

A CIDR is valid when it is an IPv4 network written with its prefix length and with no host
bits set (10.0.1.0/24, not 10.0.1.5/24 nor 10.0.1.0).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text


def _network(value):
    """Return an IPv4Network for a strict CIDR string, or None."""
    text = to_text(value).strip() if value is not None else ""
    if "/" not in text:
        return None
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError:
        return None
    return net if net.version == 4 else None


def _as_list(value, name):
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        return [value]
    raise AnsibleFilterError("{0} expects a list of CIDR strings, got {1}".format(name, type(value).__name__))


def cidr_invalid(value):
    """The entries that are not valid IPv4 CIDRs."""
    return [to_text(item) for item in _as_list(value, "cidr_invalid") if _network(item) is None]


def cidr_outside(value, container):
    """The valid entries that are not wholly inside container (invalid entries are cidr_invalid's job)."""
    outer = _network(container)
    if outer is None:
        raise AnsibleFilterError("cidr_outside: {0!r} is not an IPv4 CIDR".format(container))
    out = []
    for item in _as_list(value, "cidr_outside"):
        net = _network(item)
        if net is not None and not net.subnet_of(outer):
            out.append(to_text(item))
    return out


def cidr_overlaps(value):
    """Each pair of valid entries that share an address, as 'a overlaps b' (a duplicate overlaps itself)."""
    nets = [(to_text(item), _network(item)) for item in _as_list(value, "cidr_overlaps")]
    nets = [(text, net) for text, net in nets if net is not None]
    out = []
    for i, (text_a, net_a) in enumerate(nets):
        for text_b, net_b in nets[i + 1:]:
            if net_a.overlaps(net_b):
                out.append("{0} overlaps {1}".format(text_a, text_b))
    return out


class FilterModule(object):
    def filters(self):
        return {
            "cidr_invalid": cidr_invalid,
            "cidr_outside": cidr_outside,
            "cidr_overlaps": cidr_overlaps,
        }
