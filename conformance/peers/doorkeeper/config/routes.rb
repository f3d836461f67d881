Rails.application.routes.draw do
  # /oauth/authorize, /oauth/token, /oauth/revoke, /oauth/introspect (and /oauth/token/info).
  # The application and authorized-application admin pages are left out.
  use_doorkeeper do
    skip_controllers :applications, :authorized_applications
  end

  get "/login", to: "sessions#new", as: :login
  post "/login", to: "sessions#create"

  # A protected resource for the bearer token checks (api:read).
  get "/api/resource", to: "resources#show"

  # Doorkeeper 5.5 serves no RFC 8414 metadata: a static document of what this app offers.
  get "/.well-known/oauth-authorization-server", to: "metadata#show"
end
