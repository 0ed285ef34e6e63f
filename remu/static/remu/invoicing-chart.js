// The invoicing dashboard's chart: planned and invoiced amounts per month, drawn with the
// vendored Chart.js (remu/static/vendor/chartjs) from the page's json_script block
// #invoicing-chart-data. The table under the chart is its accessible alternative and holds the
// exact amounts; without JavaScript only the table is shown. No inline script (CSP).
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("invoicing-chart");
  const source = document.getElementById("invoicing-chart-data");
  if (!canvas || !source || typeof window.Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const euros = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: data.series.map((serie) => ({
        label: serie.label,
        data: serie.values.map(Number),  // display only: the table keeps the exact amounts
        backgroundColor: serie.color,
      })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      locale: "fr-FR",
      scales: { y: { beginAtZero: true, ticks: { callback: (value) => euros.format(value) } } },
      plugins: {
        tooltip: {
          callbacks: { label: (item) => `${item.dataset.label} : ${euros.format(item.parsed.y)}` },
        },
      },
    },
  });
  canvas.dataset.drawn = "true";
});
