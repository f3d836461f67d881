require_relative "application"

Rails.application.initialize!

# A fresh database on every start (run.sh removes the file first): Doorkeeper's own
# migrations, then the clients.
require_relative "../db/setup"
