app_name = "trainee_space"

urlpatterns: list = []
