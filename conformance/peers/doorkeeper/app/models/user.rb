# The one resource owner, in memory: test-user with the password from PEER_PASSWORD.
class User
  attr_reader :id, :username

  def initialize(id, username)
    @id = id
    @username = username
  end

  TEST_USER = new(1, "test-user").freeze

  def self.find_by_id(id)
    TEST_USER if id.to_s == TEST_USER.id.to_s
  end

  def self.authenticate(username, password)
    expected = ENV.fetch("PEER_PASSWORD", "test-password")
    return nil unless username == TEST_USER.username
    return nil unless ActiveSupport::SecurityUtils.secure_compare(password.to_s, expected)

    TEST_USER
  end
end
