# The clients the target file (fixtures/targets/doorkeeper.toml) names. Throwaway test
# secrets, stored as they are (hash_application_secrets is off). Which grant flows each may
# use is DoorkeeperPeer::CLIENT_FLOWS (config/initializers/doorkeeper.rb).
[
  {
    name: "cc-client", uid: "cc-client",
    secret: "cc-client-secret-0123456789abcdefghijklmnopqrstuvwxyz",
    redirect_uri: "", scopes: "api:read api:write",
  },
  {
    name: "web-client", uid: "web-client",
    secret: "web-client-secret-0123456789abcdefghijklmnopqrstuvwxyz",
    redirect_uri: "https://client.example/cb", scopes: "api:read api:write",
  },
  {
    name: "web-client-2", uid: "web-client-2",
    secret: "web-client-2-secret-0123456789abcdefghijklmnopqrstuvwxyz",
    redirect_uri: "https://client.example/cb2", scopes: "api:read api:write",
  },
].each do |attributes|
  Doorkeeper::Application.create!(attributes.merge(confidential: true))
end
