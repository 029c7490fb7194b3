-- wrk script: POST /chat with a small JSON message (the seed's curl request).
wrk.method = "POST"
wrk.body = '{"text":"Hello World!","name":"wrk"}'
wrk.headers["Content-Type"] = "application/json"
