# Doorkeeper's configuration for the conformance peer. Every option not named here keeps
# Doorkeeper 5.5's default (see the generator's template for the list).
module DoorkeeperPeer
  # The grant flows each seeded client may use (db/seeds.rb); Doorkeeper answers any other
  # with unauthorized_client.
  CLIENT_FLOWS = {
    "cc-client" => %w[client_credentials],
    "web-client" => %w[authorization_code],
    "web-client-2" => %w[authorization_code],
  }.freeze
end

Doorkeeper.configure do
  orm :active_record

  # The logged-in user (session cookie set by SessionsController), or off to the login form,
  # which comes back here when the user has logged in.
  resource_owner_authenticator do
    User.find_by_id(session[:user_id]) ||
      redirect_to(login_url(return_to: request.fullpath))
  end

  # Consent is automatic: no consent page.
  skip_authorization { true }

  grant_flows %w[authorization_code client_credentials]
  allow_grant_flow_for_client do |grant_flow, client|
    DoorkeeperPeer::CLIENT_FLOWS.fetch(client.uid, []).include?(grant_flow)
  end
  # The client_credentials client has no redirect URI.
  allow_blank_redirect_uri do |_grant_flows, application|
    application.present? &&
      DoorkeeperPeer::CLIENT_FLOWS.fetch(application.uid, []).exclude?("authorization_code")
  end

  # Refresh tokens for the authorization code flow (never for client_credentials). The
  # previous_refresh_token column (db/migrate) keeps the old refresh token alive until the new
  # access token is first used, Doorkeeper's default.
  use_refresh_token

  # PKCE: on because the access grants table has code_challenge and code_challenge_method
  # (db/migrate/..._enable_pkce.rb). Doorkeeper 5.5 has no force_pkce and no way to limit
  # the methods: PKCE is optional, and both S256 and plain are accepted.

  default_scopes :"api:read"
  optional_scopes :"api:write"
  enforce_configured_scopes

  # Client secrets and tokens are stored as they are (the seeded secrets are known values).
  # hash_application_secrets and hash_token_secrets stay off.

  # RFC 7662 introspection at /oauth/introspect with Doorkeeper's default rule: a client may
  # introspect its own tokens (and tokens that belong to no client).
  # RFC 7009 revocation at /oauth/revoke is always on.

  access_token_expires_in 2.hours
  authorization_code_expires_in 10.minutes
end
