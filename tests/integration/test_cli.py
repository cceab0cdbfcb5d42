"""Command line: -t/-o templates, -c config check, -i."""

import json
import os
import shutil
import socket
import tempfile
import unittest

from harness import TOP_SRCDIR, free_port, proxy_config, run_aileron, simple_lb

KINDS = ["core/v1/Entrypoint", "core/v1/HTTPServer", "core/v1/ReverseProxyHandler",
         "core/v1/HTTPLogger", "core/v1/SLogger", "core/v1/HTTPClient",
         "core/v1/ErrorHandler", "app/v1/HealthCheckHandler", "app/v1/PrometheusMeter",
         "app/v1/StatusHandler", "app/v1/EchoHandler", "core/v1/StaticFileHandler",
         "core/v1/TemplateHandler", "app/v1/ThrottleMiddleware",
         "app/v1/CompressionMiddleware", "core/v1/HTTPHandler",
         "app/v1/BodyLimitMiddleware", "app/v1/Skipper", "app/v1/CSRFMiddleware",
         "app/v1/BasicAuthnMiddleware", "app/v1/DigestAuthnMiddleware",
         "app/v1/KeyAuthnMiddleware", "app/v1/IDKeyAuthnMiddleware",
         "app/v1/SOAPRESTMiddleware", "app/v1/SessionMiddleware",
         "app/v1/AuthenticationMiddleware", "app/v1/OAuthAuthenticationHandler",
         "app/v1/RedisClient"]
# As in AILERON, these kinds' defaults lack a required reference.
NOT_ALONE = {"core/v1/HTTPHandler": 'missing field "handler"'}


class TemplateTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="aileron-cli-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_default_templates_yaml_and_json(self):
        for kind in KINDS:
            rc, out = run_aileron(["-t", kind])
            self.assertEqual(rc, 0, out)
            self.assertTrue(out.startswith("apiVersion: %s/%s\nkind: %s\n" % tuple(kind.split("/"))))
            rc, out = run_aileron(["-t", kind, "-o", "json"])
            self.assertEqual(rc, 0, out)
            doc = json.loads(out)
            self.assertEqual(doc["kind"], kind.split("/")[2])
        doc = json.loads(run_aileron(["-t", "core/v1/HTTPServer", "-o", "json"])[1])
        self.assertEqual(doc["spec"]["addr"], ":8080")
        self.assertEqual(doc["spec"]["httpConfig"]["readTimeout"], 30)
        self.assertEqual(doc["spec"]["httpConfig"]["maxHeaderBytes"], 8192)
        self.assertEqual(doc["metadata"], {"name": "default", "namespace": "default"})

    def test_templates_load_back(self):
        # Every default template is a valid manifest of aileron's own.
        docs = []
        for kind in KINDS:
            rc, out = run_aileron(["-t", kind])
            self.assertEqual(rc, 0)
            if kind in NOT_ALONE:
                rc, err = run_aileron(["-c", "-f", self.write("alone.yaml", out)])
                self.assertEqual(rc, 1, err)
                self.assertIn(NOT_ALONE[kind], err)
                continue
            docs.append(out)
        path = self.write("all.yaml", "---\n".join(docs))
        rc, out = run_aileron(["-c", "-f", path])
        self.assertEqual(rc, 0, out)

    def test_named_manifest_is_merged_over_defaults(self):
        port = free_port()
        path = self.write("c.yaml", proxy_config(port, simple_lb(["http://127.0.0.1:1"])).replace(
            "kind: HTTPServer\nspec:\n", "kind: HTTPServer\nmetadata:\n  name: web\nspec:\n"
            "  shutdownTimeout: 0\n  httpConfig: {idleTimeout: 5}\n", 1).replace(
            "    - apiVersion: core/v1\n      kind: HTTPServer\n",
            "    - apiVersion: core/v1\n      kind: HTTPServer\n      name: web\n", 1))
        rc, out = run_aileron(["-t", "core/v1/HTTPServer/default/web", "-o", "json", "-f", path])
        self.assertEqual(rc, 0, out)
        doc = json.loads(out)
        self.assertEqual(doc["metadata"]["name"], "web")
        self.assertEqual(doc["spec"]["addr"], "127.0.0.1:%d" % port)
        self.assertEqual(doc["spec"]["httpConfig"]["idleTimeout"], 5)
        self.assertEqual(doc["spec"]["httpConfig"]["readTimeout"], 30)
        self.assertEqual(doc["spec"]["shutdownTimeout"], 30)  # zero does not win
        self.assertEqual(len(doc["spec"]["virtualHosts"]), 1)
        rc, out = run_aileron(["-t", "core/v1/HTTPServer/default/nope", "-f", path])
        self.assertEqual(rc, 2)

    def test_bad_template_and_format(self):
        self.assertEqual(run_aileron(["-t", "core/v1/NoSuchKind"])[0], 2)
        self.assertEqual(run_aileron(["-t", "core/v1"])[0], 2)
        self.assertEqual(run_aileron(["-t", "core/v1/SLogger", "-o", "xml"])[0], 2)

    def test_template_with_broken_config_exits_1(self):
        path = self.write("bad.yaml", "apiVersion: core/v1\nkind: Entrypoint\nspec: {bogus: 1}\n")
        rc, out = run_aileron(["-t", "core/v1/SLogger", "-f", path])
        self.assertEqual(rc, 1)
        self.assertIn("bad.yaml:3:8:", out)


class CheckTest(unittest.TestCase):

    def test_check_reports_all_errors_and_fails(self):
        d = tempfile.mkdtemp(prefix="aileron-cli-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "c.yaml")
        with open(path, "w") as f:
            f.write(proxy_config(free_port(), simple_lb(["http://127.0.0.1:1"], match="(",
                                                        match_type="Regex"),
                                 server_extra="  bogus: 1\n"))
        rc, out = run_aileron(["-c", "-f", path])
        self.assertEqual(rc, 1)
        self.assertRegex(out, r'c\.yaml:\d+:\d+: unknown field "bogus"')
        self.assertRegex(out, r'c\.yaml:\d+:\d+: .*invalid Regex')
        self.assertNotIn("configuration is valid", out)

    def test_check_ok(self):
        d = tempfile.mkdtemp(prefix="aileron-cli-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "c.yaml")
        with open(path, "w") as f:
            f.write(proxy_config(free_port(), simple_lb(["http://127.0.0.1:1"])))
        rc, out = run_aileron(["--check", "-f", path])
        self.assertEqual(rc, 0)
        self.assertIn("configuration is valid", out)

    def test_packaged_config_is_valid(self):
        d = tempfile.mkdtemp(prefix="aileron-cli-")
        self.addCleanup(shutil.rmtree, d, True)
        with open(os.path.join(TOP_SRCDIR, "etc", "aileron.yaml")) as f:
            text = f.read().replace("/var/log/aileron", d)
        path = os.path.join(d, "config.yaml")
        with open(path, "w") as f:
            f.write(text)
        rc, out = run_aileron(["-c", "-f", path])
        self.assertEqual(rc, 0, out)
        # A check creates no file (a start does).
        self.assertEqual(os.listdir(d), ["config.yaml"])

    def test_info(self):
        rc, out = run_aileron(["-i"])
        self.assertEqual(rc, 0)
        self.assertIn("aileron ", out)

    def test_port_in_use_is_an_error(self):
        busy = socket.socket()
        self.addCleanup(busy.close)
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        d = tempfile.mkdtemp(prefix="aileron-cli-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "busy.yaml")
        with open(path, "w") as f:
            f.write(proxy_config(port, simple_lb(["http://127.0.0.1:9"])))
        rc, out = run_aileron(["-f", path])
        self.assertEqual(rc, 1, out)
        errors = [json.loads(line) for line in out.splitlines()
                  if line.startswith("{") and '"ERROR"' in line]
        self.assertTrue(any("bind 127.0.0.1:%d: Address already in use" % port
                            in e["msg"] for e in errors), out)
