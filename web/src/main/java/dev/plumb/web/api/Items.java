package dev.plumb.web.api;

import java.util.List;

/** {"items": […]}: the shape of every list the API returns. */
public record Items<T>(List<T> items) {
}
