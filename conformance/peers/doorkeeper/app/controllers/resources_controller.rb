# A protected resource (the target file's [resource]), guarded by Doorkeeper's own bearer
# token filter: a live access token with the api:read scope is served.
class ResourcesController < ActionController::API
  before_action -> { doorkeeper_authorize! :"api:read" }

  def show
    render json: {
      resource: "demo",
      client_id: doorkeeper_token.application&.uid,
      scope: doorkeeper_token.scopes.to_s,
    }
  end
end
