using System.Buffers;
using System.Text.Json;
using PushHub.Hub;

namespace PushHub.WebSockets;

/// <summary>The server's <c>op</c> frames: small, built on demand (events themselves are sent as cached JSON).</summary>
internal static class ControlFrames
{
    public static readonly ReadOnlyMemory<byte> Pong = "{\"op\":\"pong\"}"u8.ToArray();

    public static ReadOnlyMemory<byte> Subscribed(string? taskId, long? after) => Write(writer =>
    {
        writer.WriteString("op"u8, "subscribed"u8);
        WriteTask(writer, taskId);
        if (after is { } seq)
        {
            writer.WriteNumber("after"u8, seq);
        }
        else
        {
            writer.WriteNull("after"u8);
        }
    });

    public static ReadOnlyMemory<byte> Unsubscribed(string? taskId) => Write(writer =>
    {
        writer.WriteString("op"u8, "unsubscribed"u8);
        WriteTask(writer, taskId);
    });

    public static ReadOnlyMemory<byte> Reset(string? taskId, long firstSeq) => Write(writer =>
    {
        writer.WriteString("op"u8, "reset"u8);
        WriteTask(writer, taskId);
        writer.WriteNumber("first_seq"u8, firstSeq);
    });

    public static ReadOnlyMemory<byte> Error(string message) => Write(writer =>
    {
        writer.WriteString("op"u8, "error"u8);
        writer.WriteString("message"u8, message);
    });

    private static void WriteTask(Utf8JsonWriter writer, string? taskId)
    {
        if (taskId is not null)
        {
            writer.WriteString("task_id"u8, taskId);
        }
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer, EventValidator.s_writerOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
