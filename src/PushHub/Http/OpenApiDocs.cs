using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace PushHub.Http;

/// <summary>
/// OpenAPI metadata for endpoints that read their query and body by hand (to answer precise problems): the
/// parameters and shapes they would otherwise hide from <c>/openapi/v1.json</c>.
/// </summary>
public static class OpenApiDocs
{
    /// <summary>Documents query parameters: (name, JSON type, description, may repeat).</summary>
    public static TBuilder WithQuery<TBuilder>(this TBuilder builder, params (string Name, JsonSchemaType Type, string Description, bool Repeats)[] parameters)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            foreach (var (name, type, description, repeats) in parameters)
            {
                var schema = new OpenApiSchema { Type = type };
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = name,
                    In = ParameterLocation.Query,
                    Description = description,
                    Schema = repeats ? new OpenApiSchema { Type = JsonSchemaType.Array, Items = schema } : schema,
                    Explode = repeats,
                });
            }
            return Task.CompletedTask;
        });

    /// <summary>A stored event, as every transport carries it.</summary>
    /// <param name="Seq">The global sequence number: the cursor everywhere.</param>
    /// <param name="TaskId">The task the event belongs to.</param>
    /// <param name="Type">A lowercase dotted name, e.g. task.progress.</param>
    /// <param name="Timestamp">Commit time, UTC, RFC 3339 with milliseconds.</param>
    /// <param name="Data">The event's payload object.</param>
    public sealed record EventDoc(long Seq, string TaskId, string Type, DateTimeOffset Timestamp, JsonObject Data);

    /// <summary>One event to publish (or send an array of 1 to 1000 of these).</summary>
    /// <param name="TaskId">^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$</param>
    /// <param name="Type">A lowercase dotted name of at most 64 characters.</param>
    /// <param name="Data">A JSON object; task.progress needs data.percent (0–100).</param>
    /// <param name="IdempotencyKey">A retry with the same key returns the stored original with 200.</param>
    public sealed record PublishDoc(string TaskId, string Type, JsonObject? Data, string? IdempotencyKey);

    /// <summary>The answer to a batch publish.</summary>
    public sealed record EventListDoc(IReadOnlyList<EventDoc> Events);

    /// <summary>The answer to a poll: pass last_seq as the next after.</summary>
    public sealed record PollDoc(IReadOnlyList<EventDoc> Events, long LastSeq, bool Truncated);
}
