# Doorkeeper 5.5's PKCE migration (templates/enable_pkce_migration.rb.erb).
# frozen_string_literal: true

class EnablePkce < ActiveRecord::Migration[6.1]
  def change
    add_column :oauth_access_grants, :code_challenge, :string, null: true
    add_column :oauth_access_grants, :code_challenge_method, :string, null: true
  end
end
