using System.Text.Json;
using PushHub.Hub;

namespace PushHub.Webhooks;

/// <summary>The body of <c>POST /webhooks/{id}/replay</c>: <c>{"after":seq,"until":seq?}</c>.</summary>
internal static class ReplayRange
{
    public static (long After, long? Until) Read(JsonElement body, ValidationErrors errors)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add("body", "must be a JSON object such as {\"after\":0,\"until\":100}");
            return (0, null);
        }
        long? after = null, until = null;
        foreach (var property in body.EnumerateObject())
        {
            switch (property.Name)
            {
                case "after":
                    after = ReadSeq(property.Value, "after", errors);
                    break;
                case "until":
                    until = property.Value.ValueKind == JsonValueKind.Null ? null : ReadSeq(property.Value, "until", errors);
                    break;
                default:
                    errors.Add(property.Name, "is not a field of a replay; send after and optionally until");
                    break;
            }
        }
        if (after is null && !errors.Contains("after"))
        {
            errors.Add("after", "is required: the seq after which to redeliver (0 for everything stored)");
        }
        if (after is not null && until is not null && until < after)
        {
            errors.Add("until", $"must not be below after ({after})");
        }
        return (after ?? 0, until);
    }

    private static long? ReadSeq(JsonElement value, string field, ValidationErrors errors)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seq) && seq >= 0)
        {
            return seq;
        }
        errors.Add(field, $"must be a whole number of at least 0, not {EventValidator.Describe(value.ValueKind)}");
        return null;
    }
}
