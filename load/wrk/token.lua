-- wrk: client_credentials token requests (RFC 6749 §4.4), the client authenticated with
-- HTTP Basic by the Authorization header given with -H (see bench.sh).
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

-- Count answers that are not 200: wrk counts only transport errors and non-2xx/3xx.
local bad = 0
function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("non-200 answers: %d\n", bad))
end
