using System.Security.Cryptography;
using System.Text;
using PushHub.Webhooks;

namespace PushHub.Tests.Webhooks;

public sealed class WebhookSignerTests
{
    [Fact]
    public void Standard_webhooks_test_vector_is_reproduced()
    {
        var key = WebhookSigner.Key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        var signature = WebhookSigner.StandardSignature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, """{"test": 2432232314}"""u8);
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public void A_secret_without_the_prefix_is_used_as_utf8_bytes()
    {
        Assert.Equal(Encoding.UTF8.GetBytes("my-plain-secret"), WebhookSigner.Key("my-plain-secret"));
    }

    [Fact]
    public void Body_signature_is_hex_hmac_of_the_body()
    {
        var key = Encoding.UTF8.GetBytes("k");
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(key, "{}"u8));
        Assert.Equal(expected, WebhookSigner.BodySignature(key, "{}"u8));
    }

    [Fact]
    public void Generated_secrets_are_whsec_and_32_random_bytes()
    {
        var secret = WebhookSigner.NewSecret();
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Equal(32, WebhookSigner.Key(secret).Length);
        Assert.NotEqual(secret, WebhookSigner.NewSecret());
    }
}
