from django.urls import path

from . import views

app_name = "suppliers"
urlpatterns = [
    path("suppliers/register/", views.register, name="register"),
    path("suppliers/mine/", views.my_companies, name="mine"),
    path("suppliers/<int:pk>/", views.profile, name="profile"),
    path("suppliers/<int:pk>/people/", views.person_add, name="person_add"),
    path(
        "suppliers/<int:pk>/people/<int:user_id>/remove/", views.person_remove, name="person_remove"
    ),
    path("platform/suppliers/", views.review_queue, name="review_queue"),
    path("platform/suppliers/<int:pk>/<str:decision>/", views.decide, name="decide"),
]
