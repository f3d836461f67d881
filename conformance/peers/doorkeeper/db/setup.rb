# Runs Doorkeeper's migrations on the (fresh, empty) SQLite database and seeds the clients.
ActiveRecord::Migration.verbose = false
ActiveRecord::Base.connection.execute("PRAGMA journal_mode=WAL")
context = ActiveRecord::MigrationContext.new(
  Rails.root.join("db/migrate").to_s, ActiveRecord::SchemaMigration
)
context.migrate
load Rails.root.join("db/seeds.rb").to_s
ActiveRecord::Base.connection_pool.disconnect!
