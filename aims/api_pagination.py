"""API pagination, kept apart from aims.api_common because DRF imports it while loading its generics."""

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """``?page=N`` and ``?page_size=M`` (at most 200)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
