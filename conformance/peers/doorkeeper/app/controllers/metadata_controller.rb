# RFC 8414 metadata, which Doorkeeper 5.5 does not serve: a fixed document listing what this
# application offers and nothing more.
class MetadataController < ActionController::API
  def show
    issuer = DoorkeeperPeer::ISSUER
    render json: {
      issuer: issuer,
      authorization_endpoint: "#{issuer}/oauth/authorize",
      token_endpoint: "#{issuer}/oauth/token",
      revocation_endpoint: "#{issuer}/oauth/revoke",
      introspection_endpoint: "#{issuer}/oauth/introspect",
      response_types_supported: %w[code],
      response_modes_supported: %w[query form_post],
      grant_types_supported: %w[authorization_code client_credentials refresh_token],
      token_endpoint_auth_methods_supported: %w[client_secret_basic client_secret_post],
      revocation_endpoint_auth_methods_supported: %w[client_secret_basic client_secret_post],
      introspection_endpoint_auth_methods_supported: %w[client_secret_basic client_secret_post],
      code_challenge_methods_supported: %w[plain S256],
      scopes_supported: Doorkeeper.config.scopes.to_a,
    }
  end
end
