# -*- coding: utf-8 -*-
# Copyright: stackops.ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Connection and authentication options shared by the Atlas modules."""

    DOCUMENTATION = r"""
options:
  api_base_url:
    description:
      - Base URL of the Atlas Administration API (without C(/api/atlas/v2)).
      - Point it at the local stand-in (C(http://127.0.0.1:5056)) for tests.
      - If not set, the environment variable E(MONGODB_ATLAS_BASE_URL) is used.
    type: str
    default: https://cloud.mongodb.com
  public_key:
    description:
      - Public key of an Atlas programmatic API key (HTTP Digest user name).
      - Give O(public_key) and O(private_key), or O(client_id) and O(client_secret).
        When both pairs are set the service account is used.
      - If not set, the environment variable E(MONGODB_ATLAS_PUBLIC_KEY) is used.
    type: str
  private_key:
    description:
      - Private key of the Atlas programmatic API key (HTTP Digest password).
      - If not set, the environment variable E(MONGODB_ATLAS_PRIVATE_KEY) is used.
    type: str
  client_id:
    description:
      - Client ID of an Atlas service account (OAuth2 client credentials). The access token
        is fetched once and reused until it expires.
      - If not set, the environment variable E(MONGODB_ATLAS_CLIENT_ID) is used.
    type: str
  client_secret:
    description:
      - Client secret of the Atlas service account.
      - If not set, the environment variable E(MONGODB_ATLAS_CLIENT_SECRET) is used.
    type: str
  timeout:
    description:
      - Seconds to wait for each HTTP answer.
    type: int
    default: 30
  max_retries:
    description:
      - How often a call is retried after HTTP 429 (never sooner than C(Retry-After)),
        a 5xx answer or a network error, with exponential backoff and jitter.
    type: int
    default: 5
notes:
  - Uses the Atlas Administration API v2 with the versioned media type
    C(application/vnd.atlas.2023-01-01+json) (clusters C(2024-08-05)).
  - Reading needs the Project Read Only role; changing the IP access list needs Project
    Network Access Manager (or Project Owner). If the organisation requires an API access
    list, the controller's (or Lambda's) egress IP must be on it.
"""
