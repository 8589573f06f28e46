using Microsoft.AspNetCore.Http.HttpResults;
using PushHub.Hub;

namespace PushHub.Http;

/// <summary>RFC 7807 problems with a <c>detail</c> a person can act on.</summary>
public static class Problems
{
    public static ProblemHttpResult Status(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    /// <summary>A 400 with the <c>errors</c> map (field → messages), or a 413 when what was wrong is the size.</summary>
    public static ProblemHttpResult Validation(ValidationErrors errors) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors.ToDictionary())
        {
            Status = errors.TooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest,
            Title = errors.TooLarge ? "Request too large" : "The request is not valid",
            Detail = errors.Summary(),
        });

    public static ProblemHttpResult Validation(string field, string message)
    {
        var errors = new ValidationErrors();
        errors.Add(field, message);
        return Validation(errors);
    }

    public static ProblemHttpResult TooLarge(string field, string message)
    {
        var errors = new ValidationErrors();
        errors.AddTooLarge(field, message);
        return Validation(errors);
    }

    public static ProblemHttpResult NotFound(string detail) => Status(StatusCodes.Status404NotFound, "Not found", detail);
}
