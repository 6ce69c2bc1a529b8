/// The OpenAPI 3 description of the `/v1` API and `/metrics`, served at `/openapi.json`. Every route of
/// `FunnelAPI` is here with the statuses it answers; `Tests/api/schemathesis.sh` checks a live
/// server against it.
enum OpenAPIDocument {
    static let json = #"""
{
  "components": {
    "parameters": {
      "Count": {
        "description": "how many to return",
        "in": "query",
        "name": "n",
        "required": false,
        "schema": {"default": 20, "maximum": 500, "minimum": 1, "type": "integer"}
      },
      "HistoryCount": {
        "description": "how many to return",
        "in": "query",
        "name": "n",
        "required": false,
        "schema": {"default": 50, "maximum": 1000, "minimum": 1, "type": "integer"}
      }
    },
    "responses": {
      "BadInput": {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        "description": "Malformed JSON, a wrong type, a missing field or a value out of range: the message names the record, field or parameter"
      },
      "NotFound": {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        "description": "The item or user named does not exist: the message names it"
      },
      "NotReady": {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        "description": "The pipeline is still being built; retry shortly"
      },
      "TooLarge": {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        "description": "More records in one batch, or more bytes in one body, than the server takes"
      },
      "Unauthorized": {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        "description": "A missing or unknown API key (writes and admin calls always need one; reads when the server says so)"
      }
    },
    "schemas": {
      "ChannelScore": {
        "properties": {"channel": {"type": "string"}, "rank": {"type": "integer"}, "score": {"type": "number"}},
        "required": ["channel", "score", "rank"],
        "type": "object"
      },
      "Error": {
        "properties": {"error": {"properties": {"message": {"type": "string"}}, "required": ["message"], "type": "object"}},
        "required": ["error"],
        "type": "object"
      },
      "Event": {
        "allOf": [
          {"$ref": "#/components/schemas/EventFields"},
          {
            "anyOf": [
              {
                "properties": {
                  "type": {
                    "enum": [
                      "exposure",
                      "click",
                      "like",
                      "collect",
                      "share",
                      "comment",
                      "follow-author",
                      "hide",
                      "purchase",
                      "view"
                    ],
                    "type": "string"
                  }
                }
              },
              {
                "properties": {
                  "type": {"enum": ["rating"], "type": "string"},
                  "value": {"description": "stored, read by no stage: a rating counts as interest of weight 1 whatever its value", "type": "number"}
                },
                "required": ["value"]
              }
            ]
          }
        ],
        "description": "A rating carries its value."
      },
      "Experiments": {
        "properties": {
          "experiments": {
            "items": {
              "properties": {
                "arms": {
                  "items": {
                    "properties": {
                      "name": {"type": "string"},
                      "settings": {"description": "the [pipeline] keys the arm changes", "items": {"type": "string"}, "type": "array"},
                      "share": {"description": "of the experiment's users", "type": "number"}
                    },
                    "required": ["name", "share", "settings"],
                    "type": "object"
                  },
                  "type": "array"
                },
                "days": {"type": "integer"},
                "launched": {"description": "the arm pushed to the whole layer but the reverse share", "type": "string"},
                "layer": {"type": "string"},
                "name": {"type": "string"},
                "reverse": {"type": "number"},
                "start": {"format": "date-time", "type": "string"},
                "traffic": {"description": "of the layer's users", "type": "number"}
              },
              "required": ["name", "layer", "traffic", "reverse", "arms"],
              "type": "object"
            },
            "type": "array"
          },
          "holdout": {"description": "share of users held out of every experiment and launch", "type": "number"},
          "user": {
            "properties": {
              "arms": {"additionalProperties": {"type": "string"}, "description": "arm by experiment", "type": "object"},
              "holdout": {"type": "boolean"},
              "id": {"type": "string"},
              "label": {"description": "as logged with the user's exposures", "type": "string"}
            },
            "required": ["id", "holdout", "arms", "label"],
            "type": "object"
          }
        },
        "required": ["holdout", "experiments"],
        "type": "object"
      },
      "EventContext": {
        "properties": {
          "city": {"description": "of an exposure: the context features rankers train on (hashed)", "nullable": true, "type": "string"},
          "device": {"description": "of an exposure: the context features rankers train on (hashed)", "nullable": true, "type": "string"},
          "experiments": {
            "description": "of an exposure: the experiment arms the user was in (experiment=arm pairs joined by commas, or holdout); the server writes it",
            "maxLength": 1024, "nullable": true, "type": "string"
          },
          "hour": {
            "description": "stored, read by no stage: the hour features come from the timestamp",
            "maximum": 23, "minimum": 0, "nullable": true, "type": "integer"
          }
        },
        "type": "object"
      },
      "EventFields": {
        "properties": {
          "context": {"allOf": [{"$ref": "#/components/schemas/EventContext"}], "nullable": true},
          "itemDuration": {
            "description": "seconds; with watchedSeconds, the completion and watch-time objectives and statistics",
            "minimum": 0, "nullable": true, "type": "number"
          },
          "itemID": {"maxLength": 256, "minLength": 1, "pattern": "^[^\\u0000]+$", "type": "string"},
          "timestamp": {
            "description": "a date from 1970 to 2199",
            "format": "date-time",
            "pattern": "^(19[7-9][0-9]|2[01][0-9][0-9])-",
            "type": "string"
          },
          "type": {
            "enum": [
              "exposure",
              "click",
              "like",
              "collect",
              "share",
              "comment",
              "follow-author",
              "hide",
              "purchase",
              "view",
              "rating"
            ],
            "type": "string"
          },
          "userID": {"maxLength": 256, "minLength": 1, "pattern": "^[^\\u0000]+$", "type": "string"},
          "value": {"description": "required for a rating", "nullable": true, "type": "number"},
          "watchedSeconds": {"minimum": 0, "nullable": true, "type": "number"}
        },
        "required": ["userID", "itemID", "type", "timestamp"],
        "type": "object"
      },
      "Explanation": {
        "properties": {
          "failedChannels": {"additionalProperties": {"type": "string"}, "type": "object"},
          "merged": {"type": "integer"},
          "pipelineVersion": {"type": "string"},
          "preRanked": {"description": "candidates the pre-ranker cut to the ranked ones, when it did", "type": "integer"},
          "preRanker": {"type": "string"},
          "ranked": {"type": "integer"},
          "ranker": {"type": "string"},
          "rankerNotice": {"type": "string"},
          "reranker": {"type": "string"},
          "removedByFilter": {"additionalProperties": {"type": "integer"}, "type": "object"},
          "reranked": {"type": "integer"},
          "retrievedByChannel": {"additionalProperties": {"type": "integer"}, "type": "object"},
          "stageMilliseconds": {"additionalProperties": {"type": "number"}, "type": "object"},
          "channelMilliseconds": {"additionalProperties": {"type": "number"}, "type": "object"}
        },
        "required": [
          "retrievedByChannel",
          "merged",
          "removedByFilter",
          "ranked",
          "reranked",
          "failedChannels",
          "pipelineVersion",
          "ranker",
          "reranker",
          "stageMilliseconds",
          "channelMilliseconds"
        ],
        "type": "object"
      },
      "Feed": {
        "properties": {
          "explanation": {"$ref": "#/components/schemas/Explanation"},
          "items": {"items": {"$ref": "#/components/schemas/FeedEntry"}, "type": "array"},
          "user": {"type": "string"}
        },
        "required": ["user", "items"],
        "type": "object"
      },
      "FeedEntry": {
        "properties": {
          "channels": {"items": {"$ref": "#/components/schemas/ChannelScore"}, "type": "array"},
          "item": {"type": "string"},
          "predictions": {"additionalProperties": {"type": "number"}, "type": "object"},
          "score": {"type": "number"}
        },
        "required": ["item", "score"],
        "type": "object"
      },
      "GeoPoint": {
        "properties": {
          "latitude": {"maximum": 90, "minimum": -90, "type": "number"},
          "longitude": {"maximum": 180, "minimum": -180, "type": "number"}
        },
        "required": ["latitude", "longitude"],
        "type": "object"
      },
      "Item": {
        "properties": {
          "authorID": {
            "description": "the author channels (followed, interacted, similar) and the author statistics of the rankers",
            "maxLength": 256, "minLength": 1, "pattern": "^[^\\u0000]+$", "nullable": true, "type": "string"
          },
          "categories": {
            "description": "paths such as games/puzzle: the rankers' category and interest features, and the rerankers' similarity",
            "items": {"pattern": "^[^/]+(/[^/]+)*$", "type": "string"},
            "nullable": true,
            "type": "array"
          },
          "contentVector": {
            "description": "the rerankers' similarity, when [pipeline.similarity] weighs vectors from content (one length for every item)",
            "items": {"maximum": 3.4028234663852886e+38, "minimum": -3.4028234663852886e+38, "type": "number"},
            "nullable": true,
            "type": "array"
          },
          "createdAt": {
            "description": "a date from 1970 to 2199: the latest channel and the rankers' item-age features",
            "format": "date-time",
            "nullable": true,
            "pattern": "^(19[7-9][0-9]|2[01][0-9][0-9])-",
            "type": "string"
          },
          "expiresAt": {
            "description": "a date from 1970 to 2199, after which the item is not served",
            "format": "date-time",
            "nullable": true,
            "pattern": "^(19[7-9][0-9]|2[01][0-9][0-9])-",
            "type": "string"
          },
          "id": {"maxLength": 256, "minLength": 1, "pattern": "^[^\\u0000]+$", "type": "string"},
          "isHidden": {"description": "a hidden item is never served", "nullable": true, "type": "boolean"},
          "location": {
            "allOf": [{"$ref": "#/components/schemas/GeoPoint"}],
            "description": "the nearby and same-city channels, and the rankers' distance feature",
            "nullable": true
          },
          "numeric": {
            "additionalProperties": {"type": "number"},
            "description": "the rankers read those [pipeline.features] itemNumeric names",
            "nullable": true, "type": "object"
          },
          "tags": {"description": "hashed into the rankers' item features; the rerankers' similarity when [pipeline.similarity] weighs tags", "items": {"type": "string"}, "nullable": true, "type": "array"},
          "text": {"description": "the rerankers' similarity, when [pipeline.similarity] weighs text", "nullable": true, "type": "string"}
        },
        "required": ["id"],
        "type": "object"
      },
      "ItemIDs": {
        "properties": {"items": {"items": {"type": "string"}, "type": "array"}},
        "required": ["items"],
        "type": "object"
      },
      "Status": {
        "properties": {
          "pipeline": {"type": "string"}, "ranker": {"type": "string"}, "status": {"type": "string"},
          "rankerNotice": {"description": "why the configured ranker is not the one serving, and what to retrain", "type": "string"}
        },
        "required": ["status"],
        "type": "object"
      },
      "User": {
        "properties": {
          "categorical": {
            "additionalProperties": {"type": "string"},
            "description": "hashed into the rankers' profile features",
            "nullable": true, "type": "object"
          },
          "createdAt": {
            "description": "a date from 1970 to 2199; stored, read by no stage yet",
            "format": "date-time",
            "nullable": true,
            "pattern": "^(19[7-9][0-9]|2[01][0-9][0-9])-",
            "type": "string"
          },
          "home": {
            "allOf": [{"$ref": "#/components/schemas/GeoPoint"}],
            "description": "where the user is when a feed gives no location: the rankers' distance feature",
            "nullable": true
          },
          "id": {"maxLength": 256, "minLength": 1, "pattern": "^[^\\u0000]+$", "type": "string"},
          "numeric": {
            "additionalProperties": {"type": "number"},
            "description": "the rankers read those [pipeline.features] userNumeric names",
            "nullable": true, "type": "object"
          },
          "tags": {"description": "hashed into the rankers' profile features", "items": {"type": "string"}, "nullable": true, "type": "array"}
        },
        "required": ["id"],
        "type": "object"
      }
    },
    "securitySchemes": {
      "apiKey": {"in": "header", "name": "X-API-Key", "type": "apiKey"},
      "bearer": {"scheme": "bearer", "type": "http"}
    }
  },
  "info": {
    "description": "Users, items and events in; feeds out. Writes and admin calls need an API key (X-API-Key, or Authorization: Bearer); reads need one when the server is configured so. Dates are ISO 8601.",
    "title": "Funnel",
    "version": "1"
  },
  "openapi": "3.0.3",
  "paths": {
    "/metrics": {
      "get": {
        "responses": {
          "200": {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text exposition"},
          "401": {"$ref": "#/components/responses/Unauthorized"}
        },
        "summary": "Requests and latency per route, time of each feed stage and channel, events ingested, the pipeline serving"
      }
    },
    "/v1/admin/reload": {
      "post": {
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "properties": {
                    "items": {"type": "integer"},
                    "ranker": {"type": "string"},
                    "seconds": {"type": "number"},
                    "version": {"type": "string"}
                  },
                  "required": ["version", "ranker", "items", "seconds"],
                  "type": "object"
                }
              }
            },
            "description": "OK"
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "500": {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            "description": "The rebuild failed; the previous pipeline keeps serving"
          }
        },
        "security": [{"apiKey": []}, {"bearer": []}],
        "summary": "Rebuild the pipeline from the store with the latest ranker and swap it in"
      }
    },
    "/v1/events": {
      "post": {
        "requestBody": {
          "content": {
            "application/json": {"schema": {"items": {"$ref": "#/components/schemas/Event"}, "minItems": 1, "type": "array"}}
          },
          "required": true
        },
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {"properties": {"inserted": {"type": "integer"}}, "required": ["inserted"], "type": "object"}
              }
            },
            "description": "OK"
          },
          "400": {"$ref": "#/components/responses/BadInput"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "413": {"$ref": "#/components/responses/TooLarge"}
        },
        "security": [{"apiKey": []}, {"bearer": []}],
        "summary": "Insert events (durable once acknowledged)"
      }
    },
    "/v1/feed/{user}": {
      "get": {
        "parameters": [
          {
            "description": "user id",
            "in": "path",
            "name": "user",
            "required": true,
            "schema": {"minLength": 1, "type": "string"}
          },
          {"$ref": "#/components/parameters/Count"},
          {"in": "query", "name": "explain", "required": false, "schema": {"type": "boolean"}},
          {
            "description": "where the user is: latitude,longitude in degrees",
            "in": "query",
            "name": "location",
            "required": false,
            "schema": {
              "pattern": "^-?(?:90(?:\\.0+)?|[1-8]?[0-9](?:\\.[0-9]+)?),-?(?:180(?:\\.0+)?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\\.[0-9]+)?)$",
              "type": "string"
            }
          },
          {"in": "query", "name": "city", "required": false, "schema": {"type": "string"}},
          {"in": "query", "name": "device", "required": false, "schema": {"type": "string"}}
        ],
        "responses": {
          "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Feed"}}}, "description": "OK"},
          "400": {"$ref": "#/components/responses/BadInput"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "503": {"$ref": "#/components/responses/NotReady"}
        },
        "summary": "The feed for a user (a user with no history gets a cold-start feed)"
      }
    },
    "/v1/health": {
      "get": {
        "responses": {
          "200": {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}},
            "description": "OK"
          }
        },
        "summary": "Liveness"
      }
    },
    "/v1/items": {
      "post": {
        "requestBody": {
          "content": {
            "application/json": {"schema": {"items": {"$ref": "#/components/schemas/Item"}, "minItems": 1, "type": "array"}}
          },
          "required": true
        },
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {"properties": {"upserted": {"type": "integer"}}, "required": ["upserted"], "type": "object"}
              }
            },
            "description": "OK"
          },
          "400": {"$ref": "#/components/responses/BadInput"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "413": {"$ref": "#/components/responses/TooLarge"}
        },
        "security": [{"apiKey": []}, {"bearer": []}],
        "summary": "Upsert items"
      }
    },
    "/v1/items/{id}": {
      "delete": {
        "parameters": [
          {
            "description": "item id",
            "in": "path",
            "name": "id",
            "required": true,
            "schema": {"minLength": 1, "type": "string"}
          }
        ],
        "responses": {
          "200": {
            "content": {
              "application/json": {"schema": {"properties": {"deleted": {"type": "string"}}, "required": ["deleted"], "type": "object"}}
            },
            "description": "OK"
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"}
        },
        "security": [{"apiKey": []}, {"bearer": []}],
        "summary": "Delete an item"
      },
      "get": {
        "parameters": [
          {
            "description": "item id",
            "in": "path",
            "name": "id",
            "required": true,
            "schema": {"minLength": 1, "type": "string"}
          }
        ],
        "responses": {
          "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}, "description": "OK"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"}
        },
        "summary": "An item"
      }
    },
    "/v1/items/{id}/hide": {
      "post": {
        "parameters": [
          {
            "description": "item id",
            "in": "path",
            "name": "id",
            "required": true,
            "schema": {"minLength": 1, "type": "string"}
          }
        ],
        "responses": {
          "200": {
            "content": {
              "application/json": {"schema": {"properties": {"hidden": {"type": "string"}}, "required": ["hidden"], "type": "object"}}
            },
            "description": "OK"
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"}
        },
        "security": [{"apiKey": []}, {"bearer": []}],
        "summary": "Hide an item from every feed"
      }
    },
    "/v1/items/{id}/similar": {
      "get": {
        "parameters": [
          {
            "description": "item id",
            "in": "path",
            "name": "id",
            "required": true,
            "schema": {"minLength": 1, "type": "string"}
          },
          {"$ref": "#/components/parameters/Count"}
        ],
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "properties": {"items": {"items": {"$ref": "#/components/schemas/FeedEntry"}, "type": "array"}},
                  "required": ["items"],
                  "type": "object"
                }
              }
            },
            "description": "OK"
          },
          "400": {"$ref": "#/components/responses/BadInput"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "503": {"$ref": "#/components/responses/NotReady"}
        },
        "summary": "Items like this one"
      }
    },
    "/v1/latest": {
      "get": {
        "parameters": [{"$ref": "#/components/parameters/Count"}],
        "responses": {
          "200": {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ItemIDs"}}},
            "description": "OK"
          },
          "400": {"$ref": "#/components/responses/BadInput"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "503": {"$ref": "#/components/responses/NotReady"}
        },
        "summary": "The newest available items"
      }
    },
    "/v1/experiments": {
      "get": {
        "parameters": [
          {"description": "also show the arms this user is in", "in": "query", "name": "user", "required": false, "schema": {"type": "string"}}
        ],
        "responses": {
          "200": {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Experiments"}}},
            "description": "OK"
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "503": {"$ref": "#/components/responses/NotReady"}
        },
        "summary": "The experiments served ([experiments] in funnel.toml), and a user's arms"
      }
    },
    "/v1/popular": {
      "get": {
        "parameters": [{"$ref": "#/components/parameters/Count"}],
        "responses": {
          "200": {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ItemIDs"}}},
            "description": "OK"
          },
          "400": {"$ref": "#/components/responses/BadInput"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "503": {"$ref": "#/components/responses/NotReady"}
        },
        "summary": "Popular available items"
      }
    },
    "/v1/ready": {
      "get": {
        "responses": {
          "200": {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}},
            "description": "OK"
          },
          "503": {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}},
            "description": "Not ready: the store is unreachable or the pipeline still building"
          }
        },
        "summary": "Readiness: the store answers and a pipeline is built"
      }
    },
    "/v1/users": {
      "post": {
        "requestBody": {
          "content": {
            "application/json": {"schema": {"items": {"$ref": "#/components/schemas/User"}, "minItems": 1, "type": "array"}}
          },
          "required": true
        },
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {"properties": {"upserted": {"type": "integer"}}, "required": ["upserted"], "type": "object"}
              }
            },
            "description": "OK"
          },
          "400": {"$ref": "#/components/responses/BadInput"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "413": {"$ref": "#/components/responses/TooLarge"}
        },
        "security": [{"apiKey": []}, {"bearer": []}],
        "summary": "Upsert users"
      }
    },
    "/v1/users/{id}": {
      "get": {
        "parameters": [
          {
            "description": "user id",
            "in": "path",
            "name": "id",
            "required": true,
            "schema": {"minLength": 1, "type": "string"}
          }
        ],
        "responses": {
          "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}, "description": "OK"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"}
        },
        "summary": "A user"
      }
    },
    "/v1/users/{id}/history": {
      "get": {
        "parameters": [
          {
            "description": "user id",
            "in": "path",
            "name": "id",
            "required": true,
            "schema": {"minLength": 1, "type": "string"}
          },
          {"$ref": "#/components/parameters/HistoryCount"}
        ],
        "responses": {
          "200": {
            "content": {"application/json": {"schema": {"items": {"$ref": "#/components/schemas/Event"}, "type": "array"}}},
            "description": "OK"
          },
          "400": {"$ref": "#/components/responses/BadInput"},
          "401": {"$ref": "#/components/responses/Unauthorized"}
        },
        "summary": "A user's events, newest first"
      }
    }
  },
  "servers": [{"url": "/"}]
}
"""#
}
