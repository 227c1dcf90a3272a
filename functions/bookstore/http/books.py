"""Public catalog routes: books, categories, best sellers."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from bookstore import services
from bookstore.catalog import DEFAULT_LIMIT, MAX_LIMIT, MAX_QUERY_LENGTH, BookQuery
from bookstore.http.docs import fails, returns
from bookstore.http.routing import RecordingRouter, path_id
from bookstore.models import BestsellerList, Book, BookPage, CategoryList

router = RecordingRouter()


@router.get(
    "/books",
    summary="List books, optionally by category or matching a search",
    responses={200: returns("A page of books", BookPage), 400: fails("Invalid query")},
)
def list_books(
    category: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=MAX_QUERY_LENGTH)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> BookPage:
    query = BookQuery(category=category, q=q, limit=limit, cursor=cursor)
    return services.catalog().list(query)


@router.get(
    "/books/<bookId>",
    summary="One book",
    responses={200: returns("The book", Book), 404: fails("Unknown book")},
)
def get_book(bookId: Annotated[str, path_id()]) -> Book:
    return services.catalog().get(bookId)


@router.get(
    "/categories",
    summary="Categories with their number of books",
    responses={200: returns("Every category", CategoryList)},
)
def list_categories() -> CategoryList:
    return services.catalog().categories()


@router.get(
    "/bestsellers",
    summary="The top 20 books by copies sold",
    responses={
        200: returns("The top 20, best first", BestsellerList),
        503: fails("Leaderboard unavailable"),
    },
)
def list_bestsellers() -> BestsellerList:
    # Imported on first use: it needs redis-py, which the other routes' cold starts skip.
    from bookstore.bestsellers import best_sellers

    return best_sellers(services.leaderboard(), services.books(), services.orders())
