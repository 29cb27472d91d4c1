package dev.plumb.web.api;

import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** Errors raised by the API controllers → {@code {"error": …}} with the right status. */
@RestControllerAdvice(basePackageClasses = ApiExceptionAdvice.class)
public class ApiExceptionAdvice {

    @ExceptionHandler(Throwable.class)
    public ResponseEntity<ApiError> handle(Throwable ex, ServerHttpRequest request) {
        ApiErrors.Mapped m = ApiErrors.map(ex, request.getMethod().name(), request.getPath().value());
        return ResponseEntity.status(m.status()).body(m.body());
    }
}
