# workerd config for examples/workerd/worker.mjs, bundled by build.mjs into out/worker.mjs.
# Serve: node examples/workerd/build.mjs && npx workerd serve examples/workerd/config.capnp
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # connect() goes through the worker's globalOutbound. workerd's default ("internet") allows
    # public addresses only: loopback is "local", 10/8 and 192.168/16 are "private". A private CA
    # goes in tlsOptions = (trustedCertificates = [embed "ca.pem"]).
    (name = "net", network = (allow = ["public", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:8080", http = (), service = "main") ],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "out/worker.mjs"),
    # imported as "wasyncio/core.wasm": a compiled module, which workerd accepts
    (name = "wasyncio/core.wasm", wasm = embed "../../dist/core.wasm"),
  ],
  compatibilityDate = "2025-09-01",
  # request.signal aborts when the client goes away (runForRequest cancels main)
  compatibilityFlags = ["enable_request_signal"],
  globalOutbound = "net",
);
