#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into tests/fuzz/corpus/<target>/.

Seeds are real inputs: the JSON bodies and queries the unit tests use (read
out of their sources), and the requests and device messages of the door-lock
scenario and the SDKs. Each file is named seed-<what>; inputs the fuzzer
found later (scripts/fuzz.sh --update-corpus) sit beside them under their
SHA-1 names. Input formats are described at the top of each <target>_fuzz.cpp.

Usage: tests/fuzz/make_seeds.py   (idempotent; rewrites seed-* files only)
"""
import json
import pathlib
import re

HERE = pathlib.Path(__file__).resolve().parent
TESTS = HERE.parent
CORPUS = HERE / "corpus"


def raw_strings(path):
    """The C++ raw string literals R"(...)" of a test source."""
    return re.findall(r'R"\((.*?)\)"', (TESTS / path).read_text(), re.S)


def c_strings(path, prefix):
    """The plain C++ string literals of a test source that start with `prefix`."""
    found = re.findall(r'"((?:[^"\\\n]|\\.)*)"', (TESTS / path).read_text())
    out = []
    for text in found:
        text = text.replace('\\"', '"').replace("\\\\", "\\")
        if text.upper().startswith(prefix):
            out.append(text)
    return out


def json_texts(texts):
    out = []
    for text in texts:
        try:
            json.loads(text)
        except ValueError:
            continue
        out.append(text)
    return out


def write(target, named):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("seed-*"):
        old.unlink()
    seen = set()
    for name, data in named:
        data = data.encode() if isinstance(data, str) else data
        if data in seen:
            continue
        seen.add(data)
        (folder / f"seed-{name}").write_bytes(data)
    print(f"{target}: {len(seen)} seeds")


def numbered(stem, items):
    return [(f"{stem}-{i:02d}", item) for i, item in enumerate(items)]


# --- rest_router: byte 0 odd = the harness adds the iothubowner token -------
def http(verb, target, body=None, headers=()):
    lines = [f"{verb} {target} HTTP/1.1", "Host: localhost"]
    lines += [f"{k}: {v}" for k, v in headers]
    if body is not None:
        body = body if isinstance(body, str) else json.dumps(body)
        lines += ["Content-Type: application/json; charset=utf-8", f"Content-Length: {len(body.encode())}"]
    return "\r\n".join(lines) + "\r\n\r\n" + (body or "")


METHOD = {"methodName": "lockDoor", "payload": {"a": 1}, "responseTimeoutInSeconds": 15}
REQUESTS = {
    "health": http("GET", "/health"),
    "list-devices": http("GET", "/devices?api-version=2021-04-12&top=1"),
    "put-device": http("PUT", "/devices/newdev?api-version=2021-04-12", {
        "deviceId": "newdev", "authentication": {"type": "sas", "symmetricKey": {"primaryKey": "", "secondaryKey": ""}}}),
    "put-device-update": http("PUT", "/devices/dev2", {"deviceId": "dev2", "status": "disabled"}, [("If-Match", '"*"')]),
    "get-device": http("GET", "/devices/dev1"),
    "delete-device": http("DELETE", "/devices/dev2", headers=[("If-Match", '"*"')]),
    "list-modules": http("GET", "/devices/dev1/modules"),
    "put-module": http("PUT", "/devices/dev1/modules/mod2", {"deviceId": "dev1", "moduleId": "mod2"}),
    "get-module": http("GET", "/devices/dev1/modules/mod1"),
    "delete-module": http("DELETE", "/devices/dev1/modules/mod1"),
    "get-twin": http("GET", "/twins/dev1"),
    "patch-twin": http("PATCH", "/twins/dev1", {"tags": {"floor": 4}, "properties": {"desired": {"bar": 2}}},
                       [("If-Match", '"AAAAAAAAAAI="')]),
    "replace-twin": http("PUT", "/twins/dev2", {"tags": {"a": [1, 2]}, "properties": {"desired": {"x": None}}},
                         [("If-Match", "*")]),
    "get-module-twin": http("GET", "/twins/dev1/modules/mod1"),
    "patch-module-twin": http("PATCH", "/twins/dev1/modules/mod1", {"properties": {"desired": {"m": True}}}),
    "method": http("POST", "/twins/dev1/methods?api-version=2021-04-12", METHOD),
    "method-offline": http("POST", "/twins/dev2/methods", dict(METHOD, connectTimeoutInSeconds=5)),
    "module-method": http("POST", "/twins/dev1/modules/mod1/methods", METHOD),
    "query": http("POST", "/devices/query", {"query": "SELECT * FROM devices WHERE tags.building = '43'"},
                  [("x-ms-max-item-count", "1")]),
    "query-continuation": http("POST", "/devices/query", {"query": "SELECT * FROM devices"},
                               [("x-ms-max-item-count", "1"), ("x-ms-continuation", "x")]),
    "query-jobs": http("POST", "/devices/query", {"query": "SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'job1'"}),
    "query-aggregate": http("POST", "/devices/query",
                            {"query": "SELECT tags.building, COUNT() AS n FROM devices GROUP BY tags.building"}),
    "put-method-job": http("PUT", "/jobs/v2/job3?api-version=2021-04-12", {
        "jobId": "job3", "type": "scheduleDeviceMethod", "cloudToDeviceMethod": METHOD,
        "queryCondition": "deviceId IN ['dev1']", "startTime": "2026-01-01T12:00:00Z", "maxExecutionTimeInSeconds": 300}),
    "put-twin-job": http("PUT", "/jobs/v2/job4", {
        "jobId": "job4", "type": "scheduleUpdateTwin",
        "updateTwin": {"etag": "*", "properties": {"desired": {"building": "43", "floor": 3}}},
        "queryCondition": "tags.building = '43'", "startTime": None, "maxExecutionTimeInSeconds": 300}),
    "get-job": http("GET", "/jobs/v2/job1"),
    "cancel-job": http("POST", "/jobs/v2/job2/cancel"),
    "list-jobs": http("GET", "/jobs/v2/query?jobType=scheduleDeviceMethod&jobStatus=completed"),
    "statistics-devices": http("GET", "/statistics/devices"),
    "statistics-service": http("GET", "/statistics/service"),
    "percent-encoded-id": http("GET", "/devices/dev%31"),
    "chunked": "PATCH /twins/dev1 HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
               "5\r\n{\"tag\r\na\r\ns\":{\"a\":1}\r\n1\r\n}\r\n0\r\n\r\n",
    "pipelined": http("PUT", "/devices/dev9", {}) + http("GET", "/twins/dev9") + http("DELETE", "/devices/dev9"),
}
TOKEN = ("SharedAccessSignature sr=localhost&sig=4yb1mTd4PxMSbNNsmyvBcKFuDKqaQqr%2BXpgX7xkbN8k%3D"
         "&skn=iothubowner&se=1767355200")
rest = [(f"auth-{k}", b"\x01" + v.encode()) for k, v in REQUESTS.items()]
rest += [("anon-health", b"\x00" + REQUESTS["health"].encode()),
         ("anon-no-token", b"\x00" + REQUESTS["get-device"].encode()),
         ("anon-token", b"\x00" + http("GET", "/devices", headers=[("Authorization", TOKEN)]).encode())]
write("rest_router", rest)

# --- query: query text, or a job's condition ---------------------------------
queries = []
for source in ["domain/query_parser_test.cpp", "domain/query_eval_test.cpp", "domain/query_paging_test.cpp",
               "domain/query_lexer_test.cpp"]:
    queries += c_strings(source, "SELECT")
conditions = ["*", "deviceId IN ['myDeviceId']", "tags.building = '43' AND properties.reported.temp > 20",
              "IS_DEFINED(tags.loc.city) OR NOT (tags.floor <> 3)", "tags.list IN [1, 'a', null, true]",
              "properties.reported.temp * 2 + 1 > 3 % 2 - -4 / 2", "status = 'disabled'",
              "tags.[[a key]] = 1 AND properties.desired.$version > 2"]
write("query", numbered("query", queries) + numbered("condition", conditions))

# --- twin_patch: one JSON body, applied three ways ---------------------------
write("twin_patch", numbered("test", json_texts(raw_strings("domain/twin_patch_test.cpp"))) + [
    ("door-lock-desired", '{"properties":{"desired":{"building":"43","floor":3}}}'),
    ("reported", '{"temp":22.5,"fw":{"version":"1.1"},"old":null}'),
    ("tags-and-desired", '{"tags":{"loc":{"zip":null,"floor":4}},"properties":{"desired":{"modes":["eco"]}}}'),
])

# --- job_request: "<id>\n<body>" ---------------------------------------------
jobs = json_texts(raw_strings("domain/job_request_test.cpp"))
named = []
for i, body in enumerate(jobs):
    job_id = json.loads(body).get("jobId", "job1") if body.startswith("{") else "job1"
    named.append((f"test-{i:02d}", f"{job_id}\n{body}"))
write("job_request", named)

# --- device_messages: byte 0 odd = module dev1/mod1; "<topic>\n<payload>" ---
messages = {
    "method-answer": ("$iothub/methods/res/200/?$rid=1", '{"locked":true}'),
    "method-answer-empty": ("$iothub/methods/res/404/?$rid=2", ""),
    "method-answer-text": ("$iothub/methods/res/500/?$rid=3", "not json"),
    "twin-get": ("$iothub/twin/GET/?$rid=4", ""),
    "reported": ("$iothub/twin/PATCH/properties/reported/?$rid=5", '{"temp":22.5,"door":{"locked":true}}'),
    "reported-bad": ("$iothub/twin/PATCH/properties/reported/?$rid=6", "{"),
    "telemetry": ("devices/dev1/messages/events/a=1&%24.ct=application%2Fjson", '{"temp":20}'),
    "other": ("devices/dev1/messages/devicebound/#", ""),
}
device = [(k, b"\x00" + f"{t}\n{p}".encode()) for k, (t, p) in messages.items()]
device += [("module-telemetry", b"\x01devices/dev1/modules/mod1/messages/events/\n{}"),
           ("module-reported", b"\x01$iothub/twin/PATCH/properties/reported/?$rid=7\n{\"m\":1}"),
           ("module-method-answer", b"\x01$iothub/methods/res/200/?$rid=8\n[1,2]")]
write("device_messages", device)

# --- sas_and_connection_strings: one text, every reader ----------------------
KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
write("sas_and_connection_strings", [
    ("service-token", TOKEN),
    ("device-token", "SharedAccessSignature sr=localhost%2Fdevices%2Fdev1&sig=abc%3D&se=1767355200"),
    ("username", "localhost/dev1/?api-version=2021-04-12&DeviceClientType=azure-iot-device%2F1.0"),
    ("module-username", "localhost/dev1/mod1/?api-version=2021-04-12"),
    ("service-cs", f"HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey={KEY}"),
    ("device-cs", f"HostName=localhost;DeviceId=dev1;SharedAccessKey={KEY}"),
    ("module-cs", f"HostName=localhost;DeviceId=dev1;ModuleId=mod1;SharedAccessKey={KEY};GatewayHostName=gw:8883"),
    ("device-cs-token", "HostName=localhost;DeviceId=dev1;SharedAccessSignature=SharedAccessSignature sr=x&sig=y&se=1"),
    ("host-port", "localhost:8883"),
])
