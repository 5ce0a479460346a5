# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Tags of a resource the stack owns, and the tag guard on its deletion (modules that create and delete)."""

    DOCUMENTATION = r"""
options:
  tags:
    description: Resource tags. Omitted leaves the tags alone.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags that are not in I(tags).
    type: bool
    default: true
  owner_tags:
    description:
      - With I(state=absent), delete the resource only when its tags include every one of these; otherwise leave
        it alone and say so in C(msg). Lets a destroy playbook remove only what its stack created.
    type: dict
"""
