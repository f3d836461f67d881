# The smallest Rails application around Doorkeeper: no Bundler (every library comes from
# Debian's packages), no asset pipeline, ActiveRecord on SQLite, production settings.
require "rails"
require "active_record/railtie"
require "action_controller/railtie"
require "action_view/railtie"
require "doorkeeper"

module DoorkeeperPeer
  # The issuer and the address puma listens on (run.sh sets PEER_ADDR).
  ADDR = ENV.fetch("PEER_ADDR", "127.0.0.1:4300")
  ISSUER = "http://#{ADDR}"

  class Application < Rails::Application
    config.load_defaults 6.1
    config.root = File.expand_path("..", __dir__)
    config.eager_load = true
    config.cache_classes = true
    config.consider_all_requests_local = false
    config.public_file_server.enabled = false
    config.logger = ActiveSupport::Logger.new($stdout)
    config.log_level = :info
    config.active_record.dump_schema_after_migration = false
    config.session_store :cookie_store, key: "_doorkeeper_peer_session"
    # One request at a time inside the application. Rails 6.1 opens SQLite transactions as
    # DEFERRED, so two threads that both read and then write get SQLITE_BUSY at once (the busy
    # timeout cannot help a lock upgrade), which Rails turns into a 500. puma's threads still
    # read and write the connections side by side (a single puma thread stalls behind a
    # keep-alive connection).
    config.middleware.insert_before 0, Rack::Lock
  end
end
