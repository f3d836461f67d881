# The login form: username and password, then back to the authorization request.
class SessionsController < ApplicationController
  def new
    @return_to = safe_return_to(params[:return_to])
  end

  def create
    @return_to = safe_return_to(params[:return_to])
    user = User.authenticate(params[:username].to_s, params[:password].to_s)
    if user
      reset_session
      session[:user_id] = user.id
      redirect_to @return_to, status: :see_other
    else
      @error = "Wrong username or password."
      render :new, status: :unauthorized
    end
  end

  private

  # Only back to the authorization endpoint of this server (no open redirect).
  def safe_return_to(value)
    value = value.to_s
    value.start_with?("/oauth/authorize") ? value : "/oauth/authorize"
  end
end
