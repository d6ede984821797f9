"""The POS API's OpenAPI 3 document, served at ``/api/v1/openapi.json`` and checked by tests."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

bp = Blueprint("openapi", __name__)

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_ERRORS = {
    "401": _PROBLEM,
    "413": _PROBLEM,
    "422": _PROBLEM,
    "429": _PROBLEM,
    "503": _PROBLEM,
}


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _integer(minimum: int = 0, maximum: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer", "minimum": minimum}
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Loyalty POS API",
        "version": "1",
        "description": "Grant and redeem points at the till. Authenticate with "
        "'Authorization: Bearer <store API key>'. Errors are RFC 9457 problem documents.",
    },
    "servers": [{"url": "/"}],
    "security": [{"storeKey": []}],
    "paths": {
        "/api/v1/transactions": {
            "post": {
                "operationId": "createTransaction",
                "summary": "Record a purchase: use points and earn points in one atomic step",
                "description": "Idempotent per (store, transaction_id): the same body again "
                "returns the first result with 'Idempotent-Replayed: true'; another body "
                "with the same id is 409.",
                "requestBody": {"required": True, "content": _json("TransactionRequest")},
                "responses": {
                    "201": {"description": "Recorded", "content": _json("TransactionResult")},
                    "404": _PROBLEM,
                    "409": _PROBLEM,
                    "410": _PROBLEM,
                    **_ERRORS,
                },
            }
        },
        "/api/v1/transactions/{transaction_id}/refund": {
            "post": {
                "operationId": "refundTransaction",
                "summary": "Refund a purchase of this store; idempotent",
                "parameters": [
                    {
                        "name": "transaction_id",
                        "in": "path",
                        "required": True,
                        "schema": {"$ref": "#/components/schemas/TransactionId"},
                    }
                ],
                "responses": {
                    "201": {"description": "Refunded", "content": _json("RefundResult")},
                    "404": _PROBLEM,
                    **_ERRORS,
                },
            }
        },
        "/api/v1/members/lookup": {
            "post": {
                "operationId": "lookUpMember",
                "summary": "The member behind a scanned card, shown before redeeming",
                "requestBody": {"required": True, "content": _json("LookupRequest")},
                "responses": {
                    "200": {"description": "Found", "content": _json("MemberLookup")},
                    "404": _PROBLEM,
                    "410": _PROBLEM,
                    **_ERRORS,
                },
            }
        },
        "/api/v1/tickets/redeem": {
            "post": {
                "operationId": "redeemTicket",
                "summary": "Use a reward ticket at the till, once",
                "description": "Idempotent per (store, transaction_id): the same body again "
                "returns the first result with 'Idempotent-Replayed: true'; another body with "
                "the same id is 409. Ticket-use ids are their own namespace, apart from "
                "purchase ids. A ticket already used or expired is 410; unknown, 404.",
                "requestBody": {"required": True, "content": _json("RedeemRequest")},
                "responses": {
                    "201": {"description": "Used", "content": _json("RedeemResult")},
                    "404": _PROBLEM,
                    "409": _PROBLEM,
                    "410": _PROBLEM,
                    **_ERRORS,
                },
            }
        },
    },
    "components": {
        "securitySchemes": {"storeKey": {"type": "http", "scheme": "bearer"}},
        "responses": {
            "Problem": {
                "description": "A problem document saying what to do",
                "content": {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                },
            }
        },
        "schemas": {
            "TransactionId": {
                "type": "string",
                "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$",
                "description": "The POS's own id, unique per store",
            },
            "CardCode": {
                "type": "string",
                "pattern": "^[0-9]{1,64}$",
                "description": "What the scanner read from the membership card",
            },
            "TransactionRequest": {
                "type": "object",
                "additionalProperties": False,
                "required": ["transaction_id", "card_code", "amount"],
                "properties": {
                    "transaction_id": {"$ref": "#/components/schemas/TransactionId"},
                    "card_code": {"$ref": "#/components/schemas/CardCode"},
                    "amount": {
                        **_integer(1, 100_000_000),
                        "description": "JPY, tax included, points paid with included; a sale "
                        "of ¥0 is refused",
                    },
                    "points_used": {
                        **_integer(0, 100_000_000),
                        "description": "Points paid with, at most amount",
                    },
                    "items": {
                        "type": "array",
                        "maxItems": 500,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["name", "quantity", "unit_price"],
                            "properties": {
                                "name": {"type": "string", "minLength": 1, "maxLength": 100},
                                "quantity": _integer(1, 10_000),
                                "unit_price": _integer(0, 100_000_000),
                            },
                        },
                    },
                    "occurred_at": {
                        "type": "string",
                        "format": "date-time",
                        "description": "Within the last 90 days and at most 1 day ahead.",
                    },
                },
            },
            "TransactionResult": {
                "type": "object",
                "required": ["member_number", "points_earned", "points_used", "balance", "rank"],
                "properties": {
                    "member_number": {"type": "string", "pattern": "^2[0-9]{12}$"},
                    "points_earned": _integer(),
                    "points_used": _integer(),
                    "balance": _integer(),
                    "rank": {"type": "string"},
                },
            },
            "RefundResult": {
                "type": "object",
                "required": [
                    "member_number",
                    "points_reversed",
                    "points_restored",
                    "shortfall",
                    "balance",
                    "rank",
                ],
                "properties": {
                    "member_number": {"type": "string", "pattern": "^2[0-9]{12}$"},
                    "points_reversed": _integer(),
                    "points_restored": _integer(),
                    "shortfall": {
                        **_integer(),
                        "description": "Earned points that were already spent",
                    },
                    "balance": _integer(),
                    "rank": {"type": "string"},
                },
            },
            "LookupRequest": {
                "type": "object",
                "required": ["card_code"],
                "properties": {"card_code": {"$ref": "#/components/schemas/CardCode"}},
            },
            "MemberLookup": {
                "type": "object",
                "required": ["member_number", "rank", "balance", "points_usable"],
                "properties": {
                    "member_number": {"type": "string", "pattern": "^2[0-9]{12}$"},
                    "rank": {"type": "string"},
                    "balance": _integer(),
                    "points_usable": {
                        **_integer(),
                        "description": "Points that may pay now (1 point = 1 JPY)",
                    },
                },
            },
            "RedeemRequest": {
                "type": "object",
                "additionalProperties": False,
                "required": ["transaction_id", "ticket_code"],
                "properties": {
                    "transaction_id": {"$ref": "#/components/schemas/TransactionId"},
                    "ticket_code": {
                        "type": "string",
                        "pattern": "^[0-9]{1,64}$",
                        "description": "What the scanner read from the ticket (20 digits)",
                    },
                },
            },
            "RedeemResult": {
                "type": "object",
                "required": ["reward", "member_number"],
                "properties": {
                    "reward": {
                        "type": "object",
                        "required": ["key", "name"],
                        "properties": {"key": {"type": "string"}, "name": {"type": "string"}},
                    },
                    "member_number": {"type": "string", "pattern": "^2[0-9]{12}$"},
                },
            },
            "Problem": {
                "type": "object",
                "required": ["type", "title", "status", "detail"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["field", "message"],
                            "properties": {
                                "field": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        },
                    },
                    "balance": _integer(),
                    "reward": {"type": "string"},
                },
            },
        },
    },
}


@bp.get("/api/v1/openapi.json")
def openapi() -> Response:
    """The OpenAPI document of the POS API."""
    return jsonify(DOCUMENT)
