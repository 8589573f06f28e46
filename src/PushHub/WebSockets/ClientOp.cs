using System.Text.Json;
using PushHub.Hub;

namespace PushHub.WebSockets;

/// <summary>A client's control frame: <c>subscribe</c> (task_id, after?), <c>unsubscribe</c> (task_id) or <c>ping</c>.</summary>
internal sealed record ClientOp(string Op, string? TaskId, long? After)
{
    /// <summary>Parses one client frame; answers null with <paramref name="error"/> saying what is wrong.</summary>
    public static ClientOp? Parse(ReadOnlySpan<byte> frame, out string error)
    {
        error = "";
        var reader = new Utf8JsonReader(frame);
        try
        {
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "a frame must be a JSON object with an op: subscribe, unsubscribe or ping";
                return null;
            }
            if (!root.TryGetProperty("op", out var opElement) || opElement.ValueKind != JsonValueKind.String)
            {
                error = "op is required: subscribe, unsubscribe or ping";
                return null;
            }
            var op = opElement.GetString()!;
            switch (op)
            {
                case "ping":
                    return new ClientOp(op, null, null);
                case "subscribe" or "unsubscribe":
                    if (!root.TryGetProperty("task_id", out var task) || task.ValueKind != JsonValueKind.String
                        || !(task.GetString() == "*" || EventValidator.IsValidTaskId(task.GetString())))
                    {
                        error = $"task_id {EventValidator.TaskIdRule}, or * for all tasks";
                        return null;
                    }
                    long? after = null;
                    if (op == "subscribe" && root.TryGetProperty("after", out var afterElement) && afterElement.ValueKind != JsonValueKind.Null)
                    {
                        if (afterElement.ValueKind != JsonValueKind.Number || !afterElement.TryGetInt64(out var seq) || seq < 0)
                        {
                            error = "after must be a seq: a whole number from 0";
                            return null;
                        }
                        after = seq;
                    }
                    return new ClientOp(op, task.GetString(), after);
                default:
                    error = $"unknown op '{(op.Length > 40 ? op[..40] + "…" : op)}'; use subscribe, unsubscribe or ping";
                    return null;
            }
        }
        catch (JsonException exception)
        {
            error = $"the frame is not valid JSON: {exception.Message}";
            return null;
        }
    }
}
