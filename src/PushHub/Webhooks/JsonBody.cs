using System.Text.Json;
using PushHub.Http;

namespace PushHub.Webhooks;

/// <summary>Reads a small JSON request body, answering 415 or 400 (problem+json) when it is not one.</summary>
internal static class JsonBody
{
    private const int MaxBytes = 64 * 1024;

    public static async Task<(JsonDocument? Document, IResult? Problem)> ReadAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentType is null || !request.HasJsonContentType())
        {
            return (null, Problems.Status(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                "Send the body as JSON with Content-Type: application/json."));
        }
        if (request.ContentLength > MaxBytes)
        {
            return (null, Problems.TooLarge("body", $"is {request.ContentLength} bytes; at most {MaxBytes} are accepted here"));
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                return (null, Problems.TooLarge("body", $"is larger than the {MaxBytes} bytes accepted here"));
            }
            buffer.Write(chunk, 0, read);
        }
        try
        {
            return (JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)), null);
        }
        catch (JsonException exception)
        {
            return (null, Problems.Validation("body", $"is not valid JSON: {exception.Message}"));
        }
    }
}
