using System.Text.Json;
using MessagePack;
using MessagePack.Formatters;

namespace PushHub.WebSockets;

/// <summary>
/// Writes a <see cref="JsonElement"/> as the equivalent MessagePack value (object → map, array → array), so that
/// the <c>event</c> payload arrives as an object over the MessagePack protocol as it does over JSON.
/// </summary>
public sealed class JsonElementFormatter : IMessagePackFormatter<JsonElement>
{
    public static readonly JsonElementFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, JsonElement value, MessagePackSerializerOptions options)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var count = 0;
                foreach (var _ in value.EnumerateObject())
                {
                    count++;
                }
                writer.WriteMapHeader(count);
                foreach (var property in value.EnumerateObject())
                {
                    writer.Write(property.Name);
                    Serialize(ref writer, property.Value, options);
                }
                break;
            case JsonValueKind.Array:
                writer.WriteArrayHeader(value.GetArrayLength());
                foreach (var item in value.EnumerateArray())
                {
                    Serialize(ref writer, item, options);
                }
                break;
            case JsonValueKind.String:
                writer.Write(value.GetString());
                break;
            case JsonValueKind.Number when value.TryGetInt64(out var whole):
                writer.Write(whole);
                break;
            case JsonValueKind.Number:
                writer.Write(value.GetDouble());
                break;
            case JsonValueKind.True or JsonValueKind.False:
                writer.Write(value.GetBoolean());
                break;
            default:
                writer.WriteNil();
                break;
        }
    }

    /// <summary>Clients send no events to the server; reading one is not supported.</summary>
    public JsonElement Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        throw new NotSupportedException("The hub does not read event objects from clients.");
}
